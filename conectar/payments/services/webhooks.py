"""MercadoPago notifications: accepted fast at the door, worked on by a worker.

At the door (`notification_accept`, in the request): the signature is checked (forged or stale: 401
and nothing stored), the notification is stored once per MercadoPago request id, and a worker is
asked to process it after the commit. That is all, so MercadoPago gets its 200 in milliseconds.

The worker (`notification_process`) reads the payment from MercadoPago's API — the body of a
notification is never trusted, only the id it names — and applies that reading (`sync`). A payment
MercadoPago does not know is logged and dropped. If MercadoPago is unreachable the notification
stays unprocessed: the task retries, and the beat sweep re-sends it later.
"""

from __future__ import annotations

import re

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.mercadopago.signatures import verify_webhook
from conectar.payments.models import WebhookNotification
from conectar.payments.services import dispatch, sync
from conectar.platform.databases import alias_for
from conectar.shared.errors import InvalidInput

DB = alias_for("payments")
log = structlog.get_logger(__name__)

PAYMENT_TOPICS = {"payment"}
_DATA_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REQUEST_ID_MAX = 120


def notification_accept(
    *, x_signature: str | None, x_request_id: str | None, data_id: str | None, topic: str, action: str
) -> bool:
    """Verify and store a notification; returns whether it is new (and queued)."""
    verify_webhook(
        x_signature=x_signature,
        x_request_id=x_request_id,
        data_id=data_id,
        secret=settings.MERCADOPAGO_WEBHOOK_SECRET,
        tolerance_seconds=settings.MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS,
    )
    data_id = (data_id or "").strip()
    request_id = (x_request_id or "").strip()
    if not _DATA_ID.match(data_id) or len(request_id) > _REQUEST_ID_MAX:
        raise InvalidInput(fields={"data.id": ["Identificador de recurso inválido."]})
    topic = (topic or "").strip().lower()
    if topic not in PAYMENT_TOPICS:
        log.info("payments.webhook_topic_ignored", topic=topic[:40], data_id=data_id)
        return False
    try:
        with transaction.atomic(using=DB):
            notification = WebhookNotification.objects.create(
                request_id=request_id, topic=topic, action=(action or "")[:60], data_id=data_id
            )
            dispatch.enqueue_on_commit(dispatch.PROCESS_NOTIFICATION, notification.pk)
    except IntegrityError:
        log.info("payments.webhook_duplicate", request_id=request_id, data_id=data_id)
        return False
    return True


def payment_resync(mercadopago_payment_id: str) -> str:
    """Read a payment again and apply it (after something of ours about it was refused)."""
    payment = mercadopago.get_payment(mercadopago_payment_id)
    return "MercadoPago no conoce ese pago" if payment is None else sync.payment_sync(payment)


def notification_process(notification_id: int) -> str | None:
    """Re-read the payment and apply it. Raises PaymentProviderUnavailable (the task retries)."""
    notification = WebhookNotification.objects.filter(pk=notification_id, processed_at=None).first()
    if notification is None:
        return None
    WebhookNotification.objects.filter(pk=notification_id).update(attempts=notification.attempts + 1)
    payment = mercadopago.get_payment(notification.data_id)
    if payment is None:
        outcome = "ignorado: MercadoPago no conoce ese pago"
        log.warning("payments.webhook_unknown_payment", data_id=notification.data_id)
    else:
        outcome = sync.payment_sync(payment)
    WebhookNotification.objects.filter(pk=notification_id).update(processed_at=timezone.now(), outcome=outcome[:200])
    return outcome
