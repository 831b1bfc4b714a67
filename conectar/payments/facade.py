"""PUBLIC: what the marketplace and the gateway may ask of the payments context. Keyword-only
arguments, DTOs from contracts.py in and out, never models or querysets."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings

from conectar.payments.contracts import CheckoutDTO, FinancialsDTO, PaymentStatus, PaymentSummaryDTO
from conectar.payments.sandbox.control import SandboxControl, SandboxError
from conectar.payments.selectors import ledger as ledger_selectors
from conectar.payments.selectors import payments as payment_selectors
from conectar.payments.services import checkout
from conectar.shared.errors import Conflict, NotFound

log = structlog.get_logger(__name__)


def checkout_create(
    *,
    trabajo_id: UUID,
    cliente_id: UUID,
    profesional_id: UUID,
    payer_email: str | None,
    title: str,
    amount: Decimal,
) -> CheckoutDTO:
    """The trabajo's MercadoPago checkout (called when an oferta is accepted). Raises
    PaymentProviderUnavailable (503) with nothing stored when MercadoPago cannot be reached; a second
    call for the same trabajo answers the same checkout."""
    return checkout.checkout_create(
        trabajo_id=trabajo_id,
        cliente_id=cliente_id,
        profesional_id=profesional_id,
        payer_email=payer_email,
        title=title,
        amount=amount,
    )


def checkout_retry(*, trabajo_id: UUID, cliente_id: UUID) -> CheckoutDTO:
    """A new preference for an unpaid trabajo of this client (404 if it is not theirs)."""
    return checkout.checkout_retry(trabajo_id=trabajo_id, cliente_id=cliente_id)


def payment_summary(*, trabajo_id: UUID) -> PaymentSummaryDTO | None:
    payment = payment_selectors.payment_for_trabajo(trabajo_id)
    if payment is None:
        return None
    return PaymentSummaryDTO(
        payment_id=payment.pk,
        status=PaymentStatus(payment.status),
        preference_id=payment.preference_id,
        payment_url=payment.payment_url,
        mercadopago_payment_id=payment.mercadopago_payment_id or None,
        amount=payment.amount,
    )


def simulate_payment(*, trabajo_id: UUID) -> None:
    """Staff demo tool: approve the trabajo's checkout in the local MercadoPago sandbox, as a payer
    would on its page; the sandbox then sends the signed webhook like MercadoPago. Outside the
    sandbox (production settings) this does not exist: NotFound."""
    if not settings.MERCADOPAGO_SANDBOX:
        raise NotFound
    payment = payment_selectors.payment_for_trabajo(trabajo_id)
    if payment is None:
        raise NotFound("Este trabajo no tiene un pago.")
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.REJECTED):
        raise Conflict("El pago de este trabajo ya no está pendiente.", code="payment_not_pending")
    try:
        SandboxControl(settings.MERCADOPAGO_BASE_URL).pay(payment.preference_id, status="approved", wait=False)
    except (SandboxError, OSError) as exc:
        log.warning("payments.simulate_failed", trabajo_id=str(trabajo_id), error=str(exc))
        raise Conflict("El sandbox de MercadoPago no aceptó el pago simulado.", code="sandbox_refused") from exc


def financials() -> FinancialsDTO:
    return ledger_selectors.financials()
