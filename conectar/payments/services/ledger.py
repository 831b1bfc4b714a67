"""Posting to the double-entry ledger. Every money movement of the platform goes through `post`.

Sign convention: an entry's amount is positive for a debit and negative for a credit; a transaction's
entries sum to zero. Balances are read on each account's normal side (assets and expenses: debits
minus credits; liabilities and revenue: credits minus debits), so an escrow holding 10000 ARS has
balance 10000.

`post` checks in Python what PostgreSQL enforces anyway (migration 0002): the same refusal, but with a
message a person can read instead of a constraint name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, connections, transaction
from django.db.models import Sum

from conectar.payments.models import (
    DEBIT_NORMAL_KINDS,
    GUARDED_KINDS,
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from conectar.platform.databases import alias_for
from conectar.shared.errors import Conflict
from conectar.shared.money import CENT

DB = alias_for("payments")
ZERO = Decimal("0.00")


class LedgerError(RuntimeError):
    """A posting that can never be right (a programming error, not a business refusal)."""


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_detail = "El saldo disponible no alcanza para este movimiento."


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    amount: Decimal  # + debit, - credit


def debit(account: LedgerAccount, amount: Decimal) -> Line:
    return Line(account, amount)


def credit(account: LedgerAccount, amount: Decimal) -> Line:
    return Line(account, -amount)


# --- accounts -------------------------------------------------------------------------------------------


def _account(kind: AccountKind, code: str, *, trabajo_id: UUID | None = None, profesional_id: UUID | None = None):
    found = LedgerAccount.objects.filter(code=code).first()
    if found is not None:
        return found
    # INSERT … ON CONFLICT DO NOTHING: two first postings to one account create it once.
    LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(
                code=code,
                kind=kind,
                normal_side="debit" if kind in DEBIT_NORMAL_KINDS else "credit",
                trabajo_id=trabajo_id,
                profesional_id=profesional_id,
                balance=ZERO if kind in GUARDED_KINDS else None,
            )
        ],
        ignore_conflicts=True,
    )
    return LedgerAccount.objects.get(code=code)


def clearing() -> LedgerAccount:
    """The platform's MercadoPago account: where the clients' money arrives and leaves from."""
    return _account(AccountKind.CLEARING, "mercadopago_clearing")


def commission_revenue() -> LedgerAccount:
    return _account(AccountKind.COMMISSION_REVENUE, "commission_revenue")


def provider_losses() -> LedgerAccount:
    return _account(AccountKind.PROVIDER_LOSSES, "provider_losses")


def escrow(trabajo_id: UUID) -> LedgerAccount:
    return _account(AccountKind.ESCROW, f"escrow:{trabajo_id}", trabajo_id=trabajo_id)


def refund_payable(trabajo_id: UUID) -> LedgerAccount:
    return _account(AccountKind.REFUND_PAYABLE, f"refund_payable:{trabajo_id}", trabajo_id=trabajo_id)


def professional_payable(profesional_id: UUID) -> LedgerAccount:
    return _account(
        AccountKind.PROFESSIONAL_PAYABLE, f"professional_payable:{profesional_id}", profesional_id=profesional_id
    )


# --- balances -------------------------------------------------------------------------------------------


def balance(account: LedgerAccount) -> Decimal:
    """The account's balance on its normal side, as committed plus this transaction's postings."""
    if account.kind in GUARDED_KINDS:
        return LedgerAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
    debits_minus_credits = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or ZERO
    return debits_minus_credits if account.normal_side == "debit" else -debits_minus_credits


def _guarded_balance(code: str) -> Decimal:
    value = LedgerAccount.objects.filter(code=code).values_list("balance", flat=True).first()
    return value if value is not None else ZERO


def escrow_balance(trabajo_id: UUID) -> Decimal:
    return _guarded_balance(f"escrow:{trabajo_id}")


def refund_payable_balance(trabajo_id: UUID) -> Decimal:
    return _guarded_balance(f"refund_payable:{trabajo_id}")


# --- posting --------------------------------------------------------------------------------------------


def _validated(lines: list[Line]) -> list[Line]:
    if any(line.amount != line.amount.quantize(CENT) for line in lines):
        raise LedgerError("ledger amounts are whole cents")
    kept = [line for line in lines if line.amount]
    if len(kept) < 2:  # noqa: PLR2004 - double entry: at least one debit and one credit
        raise LedgerError("a ledger transaction needs at least two non-zero lines")
    total = sum((line.amount for line in kept), ZERO)
    if total != 0:
        raise LedgerError(f"ledger transaction does not balance: lines sum to {total}")
    return kept


def already_posted(idempotency_key: str) -> bool:
    return LedgerTransaction.objects.filter(idempotency_key=idempotency_key).exists()


def post(
    *,
    kind: TransactionKind,
    idempotency_key: str,
    lines: list[Line],
    trabajo_id: UUID | None = None,
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction | None:
    """Post one balanced transaction, once per `idempotency_key`: returns it, or None when that key
    was posted before (by this or a concurrent caller: the second waits on the unique index and then
    does nothing). Runs inside the caller's transaction on the payments database, so the money move
    commits together with the state change that caused it.

    Raises `InsufficientFunds` when a guarded account (escrow, payables) would go below zero; the
    caller's transaction stays usable (the failed part is rolled back to a savepoint)."""
    if not connections[DB].in_atomic_block:
        raise LedgerError("ledger postings run inside transaction.atomic(using='payments')")
    kept = _validated(lines)
    try:
        # One savepoint around both inserts: a refused posting leaves neither the transaction row
        # nor any entry behind, and the caller's transaction carries on.
        with transaction.atomic(using=DB):
            txn_id = _insert_transaction(kind, idempotency_key, trabajo_id, memo, reverses)
            if txn_id is None:
                return None
            txn = LedgerTransaction.objects.get(pk=txn_id)
            LedgerEntry.objects.bulk_create(
                [LedgerEntry(transaction=txn, account=line.account, amount=line.amount) for line in kept]
            )
    except IntegrityError as exc:
        if "ledger_guarded_balance_not_negative" in str(exc):
            raise InsufficientFunds from exc
        raise
    return txn


def _insert_transaction(kind, idempotency_key, trabajo_id, memo, reverses) -> UUID | None:
    with connections[DB].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LedgerTransaction._meta.db_table} "  # noqa: S608 - a constant table name
            "(id, kind, idempotency_key, trabajo_id, memo, reverses_id, created_at) "
            "VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, now()) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [kind.value, idempotency_key, trabajo_id, memo[:300], reverses.pk if reverses else None],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def reverse(original: LedgerTransaction, *, idempotency_key: str, memo: str) -> LedgerTransaction | None:
    """A correction: the mirror image of `original`, which itself stays as it was (append-only)."""
    mirrored = [Line(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    return post(
        kind=TransactionKind.REVERSAL,
        idempotency_key=idempotency_key,
        lines=mirrored,
        trabajo_id=original.trabajo_id,
        memo=memo,
        reverses=original,
    )
