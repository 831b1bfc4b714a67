"""PUBLIC: what the marketplace and the gateway may ask of the payments context. Keyword-only
arguments, DTOs from contracts.py in and out, never models or querysets."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from conectar.payments.contracts import CheckoutDTO, FinancialsDTO, PaymentStatus, PaymentSummaryDTO
from conectar.platform.lifting.facades import Facade

context = Facade("payments")
if context.runs_here:  # the internals exist only where payments runs
    from conectar.payments.selectors import ledger as ledger_selectors
    from conectar.payments.selectors import payments as payment_selectors
    from conectar.payments.services import checkout


@context.function(idempotent=True)
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


@context.function(idempotent=False)
def checkout_retry(*, trabajo_id: UUID, cliente_id: UUID) -> CheckoutDTO:
    """A new preference for an unpaid trabajo of this client (404 if it is not theirs)."""
    return checkout.checkout_retry(trabajo_id=trabajo_id, cliente_id=cliente_id)


@context.function(idempotent=True)
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


@context.function(idempotent=True)
def financials() -> FinancialsDTO:
    return ledger_selectors.financials()
