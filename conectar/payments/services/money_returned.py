"""Money that went back to the payer outside our own refunds — a refund made in MercadoPago itself,
a chargeback the issuer decided for the payer: booked once, in the same way.

It left the platform's MercadoPago account (clearing). It comes out of the trabajo's escrow as far
as the escrow still holds it; whatever had been released already is a loss for the platform. A
completed `Refund` (initiated by the provider) records it, and `Refunded` tells the marketplace, which
cancels the trabajo once its escrow is empty."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.utils import timezone

from conectar.payments.contracts import Refunded
from conectar.payments.models import Payment, Refund, RefundInitiator, RefundStatus, TransactionKind
from conectar.payments.services import ledger
from conectar.platform.events import publish


def book(
    payment: Payment,
    *,
    mercadopago_payment_id: str,
    amount: Decimal,
    refund_id: UUID,
    kind: TransactionKind,
    idempotency_key: str,
    reason: str,
    memo: str,
) -> Decimal:
    """Book `amount` returned to the payer (inside the caller's transaction, `payment` locked).
    Returns the part the escrow covered; the rest is the platform's loss."""
    escrow = ledger.escrow(payment.trabajo_id)
    from_escrow = min(amount, ledger.balance(escrow))
    lines = [ledger.credit(ledger.clearing(), amount), ledger.debit(escrow, from_escrow)]
    if amount > from_escrow:
        lines.append(ledger.debit(ledger.provider_losses(), amount - from_escrow))
    Refund.objects.create(
        id=refund_id,
        payment=payment,
        trabajo_id=payment.trabajo_id,
        mercadopago_payment_id=mercadopago_payment_id,
        amount=amount,
        initiated_by=RefundInitiator.PROVIDER,
        reason=reason,
        status=RefundStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    ledger.post(kind=kind, idempotency_key=idempotency_key, trabajo_id=payment.trabajo_id, memo=memo, lines=lines)
    publish(
        Refunded(
            refund_id=refund_id,
            trabajo_id=payment.trabajo_id,
            cliente_id=payment.cliente_id,
            profesional_id=payment.profesional_id,
            amount=amount,
            remaining_escrow=ledger.balance(escrow),
            initiated_by=RefundInitiator.PROVIDER.value,
        )
    )
    return from_escrow
