"""Paying a trabajo's checkout in the local MercadoPago sandbox as its payer would on the checkout
page (the staff's `simular-pago` and the demo deals). The sandbox then sends its signed webhook and
the payments context takes it exactly as it takes MercadoPago's: nothing here touches a payment."""

from __future__ import annotations

from uuid import UUID

import structlog
from django.conf import settings

from conectar.devtools.sandbox.control import SandboxControl, SandboxError
from conectar.payments import facade as payments
from conectar.payments.contracts import PaymentStatus
from conectar.shared.errors import Conflict, NotFound

log = structlog.get_logger(__name__)

PAYABLE = (PaymentStatus.PENDING, PaymentStatus.REJECTED)  # a rejected card may be tried again


def simulate_payment(*, trabajo_id: UUID) -> None:
    """Approve the trabajo's checkout in the sandbox. NotFound where MERCADOPAGO_BASE_URL is not the
    sandbox (development against MercadoPago's own test accounts) or the trabajo has no payment;
    Conflict when the payment is no longer pending or the sandbox refuses."""
    if not settings.MERCADOPAGO_SANDBOX:
        raise NotFound
    payment = payments.payment_summary(trabajo_id=trabajo_id)
    if payment is None:
        raise NotFound("Este trabajo no tiene un pago.")
    if payment.status not in PAYABLE:
        raise Conflict("El pago de este trabajo ya no está pendiente.", code="payment_not_pending")
    try:
        SandboxControl(settings.MERCADOPAGO_BASE_URL).pay(payment.preference_id, status="approved", wait=False)
    except (SandboxError, OSError) as exc:
        log.warning("devtools.simulate_payment_failed", trabajo_id=str(trabajo_id), error=str(exc))
        raise Conflict("El sandbox de MercadoPago no aceptó el pago simulado.", code="sandbox_refused") from exc
