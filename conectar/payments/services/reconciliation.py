"""Reconciliation: MercadoPago's payments (its search API) against our Payments and ledger.

Read-only: it reports, staff decide. For every MercadoPago payment created in the window, and every
payment we confirmed in the window (read one by one if the search did not return it):
- `approved_not_confirmed`: money arrived at MercadoPago and our ledger has no receipt for it;
- `double_payment`: approved at MercadoPago while the trabajo was confirmed with another payment
  (payments books and refunds such a payment by itself; this reports it until the refund lands);
- `unknown_trabajo`: money arrived for an external reference we have no checkout for;
- `amount_differs`: the amount MercadoPago collected is not what our ledger received;
- `refunded_differs`: MercadoPago's refunded total is not what our ledger shows refunded;
- `confirmed_not_approved`: confirmed here, but MercadoPago says it never was (or does not know it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.db.models import Sum
from django.utils import timezone

from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.mercadopago.client import MPPayment
from conectar.payments.models import (
    LedgerEntry,
    Payment,
    Refund,
    RefundStatus,
    TransactionKind,
)

ZERO = Decimal("0.00")
# MercadoPago states in which the money did reach the platform's account at some point.
MONEY_ARRIVED = {"approved", "refunded", "charged_back", "in_mediation"}
# What is refunded leaves the clearing account in these ledger transactions, keyed by refund id.
_REFUND_KEY_PREFIXES = ("refund_completed", "provider_refund")


@dataclass(frozen=True)
class Mismatch:
    kind: str
    mercadopago_payment_id: str
    trabajo_id: UUID | None
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}\tmp={self.mercadopago_payment_id}\ttrabajo={self.trabajo_id or '-'}\t{self.detail}"


def _trabajo_id(reference: str | None) -> UUID | None:
    try:
        return UUID(str(reference))
    except ValueError:
        return None


def _clearing_sum(trabajo_id: UUID, kinds: Iterable[str]) -> Decimal:
    """Debits minus credits of the clearing account in the trabajo's transactions of `kinds`."""
    total = LedgerEntry.objects.filter(
        account__code="mercadopago_clearing", transaction__trabajo_id=trabajo_id, transaction__kind__in=list(kinds)
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def _received(trabajo_id: UUID) -> Decimal:
    return _clearing_sum(trabajo_id, [TransactionKind.PAYMENT_RECEIVED])


def _refunded(trabajo_id: UUID, mercadopago_payment_id: str) -> Decimal:
    """What the ledger sent back to the payer of this MercadoPago payment. By refund, not by trabajo:
    a trabajo paid twice also holds the refund of the other payment."""
    refund_ids = Refund.objects.filter(
        trabajo_id=trabajo_id, mercadopago_payment_id=mercadopago_payment_id
    ).values_list("pk", flat=True)
    keys = [f"{prefix}:{refund_id}" for refund_id in refund_ids for prefix in _REFUND_KEY_PREFIXES]
    total = LedgerEntry.objects.filter(
        account__code="mercadopago_clearing", transaction__idempotency_key__in=keys
    ).aggregate(s=Sum("amount"))["s"]
    return -(total or ZERO)


def _compare(mp: MPPayment, payment: Payment | None) -> list[Mismatch]:  # noqa: PLR0911
    trabajo_id = _trabajo_id(mp.external_reference)
    arrived = mp.status in MONEY_ARRIVED

    def mismatch(kind: str, detail: str) -> list[Mismatch]:
        return [Mismatch(kind, mp.id, trabajo_id, detail)]

    # Money that arrived and is still in the platform's account (not refunded, not charged back).
    held = arrived and mp.status != "charged_back" and mp.transaction_amount_refunded < mp.transaction_amount
    if payment is None:
        if held:
            return mismatch("unknown_trabajo", f"{mp.status} {mp.transaction_amount} sin checkout nuestro")
        return []
    confirmed_here = payment.approved_at is not None and payment.mercadopago_payment_id == mp.id
    if not confirmed_here:
        if not held:
            return []  # never arrived, or already gone back: nothing of ours to account for
        if payment.approved_at is not None:
            returning = Refund.objects.filter(mercadopago_payment_id=mp.id, status=RefundStatus.REQUESTED).exists()
            note = " (devolución automática en curso)" if returning else ""
            return mismatch(
                "double_payment",
                f"{mp.status} en MercadoPago; confirmado aquí con {payment.mercadopago_payment_id}{note}",
            )
        return mismatch("approved_not_confirmed", f"{mp.status} {mp.transaction_amount} en MercadoPago, sin recibo")
    if not arrived:
        return mismatch("confirmed_not_approved", f"confirmado aquí; MercadoPago dice {mp.status}")
    found = []
    received = _received(payment.trabajo_id)
    if mp.transaction_amount != received:
        found += mismatch("amount_differs", f"MercadoPago cobró {mp.transaction_amount}; el libro recibió {received}")
    refunded = _refunded(payment.trabajo_id, mp.id)
    if mp.transaction_amount_refunded != refunded:
        in_flight = Refund.objects.filter(payment=payment, status=RefundStatus.REQUESTED).count()
        note = f" ({in_flight} reembolso(s) en curso)" if in_flight else ""
        found += mismatch(
            "refunded_differs",
            f"MercadoPago reembolsó {mp.transaction_amount_refunded}; el libro {refunded}{note}",
        )
    return found


def reconcile(*, since: date, until: date | None = None) -> list[Mismatch]:
    begin = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until, time.max)) if until else timezone.now()
    mismatches: list[Mismatch] = []
    seen: set[str] = set()
    for mp in mercadopago.search_payments(begin=begin, end=end):
        seen.add(mp.id)
        trabajo_id = _trabajo_id(mp.external_reference)
        payment = Payment.objects.filter(trabajo_id=trabajo_id).first() if trabajo_id else None
        mismatches += _compare(mp, payment)
    confirmed_in_window = Payment.objects.filter(approved_at__gte=begin, approved_at__lte=end).exclude(
        mercadopago_payment_id__in=seen
    )
    for payment in confirmed_in_window.iterator():
        mp = mercadopago.get_payment(payment.mercadopago_payment_id)
        if mp is None:
            mismatches.append(
                Mismatch(
                    "confirmed_not_approved",
                    payment.mercadopago_payment_id,
                    payment.trabajo_id,
                    "confirmado aquí; MercadoPago no conoce el pago",
                )
            )
        else:
            mismatches += _compare(mp, payment)
    return mismatches
