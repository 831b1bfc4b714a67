"""Celery entry points of the payments context (thin, idempotent; ids only).

Each task may run twice (acks_late, the beat sweep re-sending what looks lost): the services claim
their row with a lock and a due time, and every provider call carries an idempotency key."""

from __future__ import annotations

from uuid import UUID

import structlog
from celery import shared_task

from conectar.payments.contracts import PaymentProviderUnavailable
from conectar.payments.selectors import due
from conectar.payments.services import dispatch, payouts, refunds, retries, webhooks

log = structlog.get_logger(__name__)

NOTIFICATION_RETRIES = 6


@shared_task(bind=True, name=dispatch.PROCESS_NOTIFICATION, ignore_result=True, acks_late=True)
def process_notification(self, notification_id: str) -> None:
    try:
        webhooks.notification_process(int(notification_id))
    except PaymentProviderUnavailable:
        attempt = self.request.retries + 1
        if attempt > NOTIFICATION_RETRIES:
            log.warning("payments.notification_left_for_sweep", notification_id=notification_id)
            return
        raise self.retry(countdown=retries.backoff_seconds(attempt), max_retries=NOTIFICATION_RETRIES) from None


@shared_task(name=dispatch.SEND_PAYOUT, ignore_result=True, acks_late=True)
def send_payout(payout_id: str) -> None:
    payouts.payout_send(UUID(payout_id))


@shared_task(name=dispatch.SEND_REFUND, ignore_result=True, acks_late=True)
def send_refund(refund_id: str) -> None:
    refunds.refund_send(UUID(refund_id))


@shared_task(bind=True, name=dispatch.RESYNC_PAYMENT, ignore_result=True, acks_late=True)
def resync_payment(self, mercadopago_payment_id: str) -> None:
    try:
        webhooks.payment_resync(mercadopago_payment_id)
    except PaymentProviderUnavailable:
        attempt = self.request.retries + 1
        if attempt <= NOTIFICATION_RETRIES:
            raise self.retry(countdown=retries.backoff_seconds(attempt), max_retries=NOTIFICATION_RETRIES) from None


@shared_task(name="payments.sweep", ignore_result=True)
def sweep() -> int:
    """Beat: re-send what stayed due (its task lost to a broker outage or a dead worker)."""
    sent = 0
    for task_name, ids in (
        (dispatch.PROCESS_NOTIFICATION, due.due_notifications()),
        (dispatch.SEND_REFUND, due.due_refunds()),
        (dispatch.SEND_PAYOUT, due.due_payouts()),
    ):
        for row_id in ids:
            dispatch.enqueue(task_name, row_id)
            sent += 1
    return sent
