"""A chargeback lost: the card issuer decided for the payer and MercadoPago took the money back from
the platform's account. MercadoPago's payment stays `charged_back` either way, so only staff, who
follow the case in MercadoPago, can say it is over; until then the payment stays frozen.

Booked like any money returned to the payer outside our refunds (`money_returned`): out of the
escrow as far as it still holds the money — the marketplace then cancels the trabajo — and a loss
for the platform for whatever had been released already. Refunds of ours that the freeze held back
(or that failed) are annulled first and their reservations go back to the escrow: the issuer has
returned that money already, and a later retry would pay the client twice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from uuid import UUID

from django.db import transaction

from conectar.payments.contracts import PaymentStatus
from conectar.payments.models import (
    LedgerTransaction,
    Payment,
    ProviderPayment,
    Refund,
    RefundStatus,
    TransactionKind,
)
from conectar.payments.services import escrow, ledger, money_returned
from conectar.platform.databases import alias_for
from conectar.shared.errors import Conflict, NotFound

DB = alias_for("payments")
_CHARGEBACK_NAMESPACE = uuid.UUID("5d2b8f4e-1c7a-4f3e-9a0b-2e6c8d1f7b35")


def chargeback_lost(*, payment_id: UUID) -> Decimal:
    """Book the chargeback of `payment_id` as lost; returns the amount taken back. Once per payment:
    a second call (a double click, two staff members) is a 400."""
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise NotFound
        if payment.status != PaymentStatus.CHARGED_BACK:
            raise Conflict(
                f"El pago está en {payment.status}: solo un contracargo (charged_back) puede darse por perdido.",
                code="not_charged_back",
            )
        key = f"chargeback_lost:{payment.pk}"
        if ledger.already_posted(key):
            raise Conflict("Este contracargo ya se registró como perdido.", code="already_recorded")
        _annul_unsent_refunds(payment)
        escrow.held_drop(payment, reason="contracargo perdido (el emisor devolvió el pago)")
        # What the issuer took back: MercadoPago's amount less what had been refunded before.
        taken = ProviderPayment.objects.filter(pk=payment.mercadopago_payment_id).first()
        amount = (taken.amount - taken.amount_refunded) if taken is not None else Decimal("0.00")
        if amount <= 0:
            raise Conflict("MercadoPago no registra dinero retenido por este contracargo.", code="nothing_taken")
        money_returned.book(
            payment,
            mercadopago_payment_id=payment.mercadopago_payment_id,
            amount=amount,
            refund_id=uuid.uuid5(_CHARGEBACK_NAMESPACE, str(payment.pk)),
            kind=TransactionKind.CHARGEBACK_LOST,
            idempotency_key=key,
            reason="Contracargo perdido: el emisor le devolvió el pago al cliente",
            memo=f"Contracargo perdido sobre el pago {payment.mercadopago_payment_id}: {amount} devueltos al pagador",
        )
    return amount


def _annul_unsent_refunds(payment: Payment) -> None:
    unsent = Refund.objects.select_for_update().filter(
        payment=payment,
        mercadopago_payment_id=payment.mercadopago_payment_id,  # not a duplicate payment's refund
        status__in=[RefundStatus.REQUESTED, RefundStatus.FAILED],
    )
    for refund in unsent:
        reserved = LedgerTransaction.objects.get(idempotency_key=f"refund_reserved:{refund.pk}")
        ledger.reverse(
            reserved,
            idempotency_key=f"refund_annulled:{refund.pk}",
            memo=f"Reembolso {refund.pk} anulado: el contracargo ya le devolvió el pago al cliente",
        )
        refund.status = RefundStatus.CANCELLED
        refund.next_attempt_at = None
        refund.last_error = "Anulado: contracargo perdido (el emisor devolvió el pago)."
        refund.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
