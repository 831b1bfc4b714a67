"""The Payment row as the lock of its trabajo's money.

Every change to a trabajo's money (confirmation, release, refund, provider refund, freeze) runs in a
payments transaction that first locks the trabajo's Payment row (`SELECT … FOR UPDATE`). That one
lock serialises them, so each decision (is it confirmed? frozen? how much is left in escrow?) is
taken on a state nobody else is changing. Lock order, everywhere: Payment, then Refund/Payout rows.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from conectar.payments.contracts import PaymentFrozen, PaymentNotConfirmed
from conectar.payments.models import Payment, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import dispatch
from conectar.platform.databases import alias_for

DB = alias_for("payments")


def locked_payment(trabajo_id: UUID) -> Payment | None:
    return Payment.objects.select_for_update().filter(trabajo_id=trabajo_id).first()


def is_confirmed(payment: Payment) -> bool:
    """The money arrived and was posted to escrow (whatever happened to it afterwards)."""
    return payment.approved_at is not None


def ensure_money_movable(payment: Payment) -> None:
    """Release, payout and refund need confirmed money that no chargeback or mediation holds."""
    if not is_confirmed(payment):
        raise PaymentNotConfirmed
    if payment.frozen:
        raise PaymentFrozen


def payment_unfreeze(*, payment_id: UUID) -> bool:
    """Staff lift a freeze (after the chargeback or mediation was settled at MercadoPago). Refunds
    and payouts the freeze held back are sent again. Returns whether anything changed."""
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None or not payment.frozen:
            return False
        payment.frozen = False
        payment.save(update_fields=["frozen", "updated_at"])
        now = timezone.now()
        held_payouts = list(
            Payout.objects.filter(
                trabajo_id=payment.trabajo_id, status=PayoutStatus.PENDING, next_attempt_at=None
            ).values_list("pk", flat=True)
        )
        Payout.objects.filter(pk__in=held_payouts).update(next_attempt_at=now, updated_at=now)
        held_refunds = list(
            Refund.objects.filter(payment=payment, status=RefundStatus.REQUESTED, next_attempt_at=None).values_list(
                "pk", flat=True
            )
        )
        Refund.objects.filter(pk__in=held_refunds).update(next_attempt_at=now, updated_at=now)
        for payout_id in held_payouts:
            dispatch.enqueue_on_commit(dispatch.SEND_PAYOUT, payout_id)
        for refund_id in held_refunds:
            dispatch.enqueue_on_commit(dispatch.SEND_REFUND, refund_id)
    return True
