"""Reads of the ledger: balances and the financial metrics staff see."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from conectar.payments.contracts import FinancialsDTO
from conectar.payments.models import AccountKind, LedgerEntry, TransactionKind

ZERO = Decimal("0.00")


def financials() -> FinancialsDTO:
    """From the release transactions: what left the escrows into the professionals' payables and the
    commission revenue (the billed price of what was released), the commission, and the trabajos."""
    releases = LedgerEntry.objects.filter(transaction__kind=TransactionKind.RELEASE)
    totals = releases.aggregate(
        released=Sum("amount", filter=Q(account__kind=AccountKind.ESCROW)),
        commission=Sum("amount", filter=Q(account__kind=AccountKind.COMMISSION_REVENUE)),
        trabajos=Count("transaction__trabajo_id", distinct=True),
    )
    return FinancialsDTO(
        total_facturado=totals["released"] or ZERO,  # escrow debits are positive
        comision_total=-(totals["commission"] or ZERO),  # revenue is credited: negative amounts
        trabajos_completados=totals["trabajos"] or 0,
    )
