"""The double-entry ledger and what PostgreSQL itself enforces about it, tried with raw SQL."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from conectar.payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from conectar.payments.services import ledger
from conectar.payments.services.ledger import InsufficientFunds, LedgerError
from tests.payments.helpers import assert_ledger_sound, check_deferred_constraints
from tests.support.concurrency import run_concurrently

pytestmark = pytest.mark.django_db(databases="__all__")

DB = "payments"


def receive(trabajo_id, amount=Decimal("100.00"), key=None):
    """Money in: clearing debit, the trabajo's escrow credit."""
    with transaction.atomic(using=DB):
        return ledger.post(
            kind=TransactionKind.PAYMENT_RECEIVED,
            idempotency_key=key or f"test-receive:{uuid.uuid4()}",
            trabajo_id=trabajo_id,
            lines=[ledger.debit(ledger.clearing(), amount), ledger.credit(ledger.escrow(trabajo_id), amount)],
        )


def refund_out(trabajo_id, amount, key=None):
    with transaction.atomic(using=DB):
        return ledger.post(
            kind=TransactionKind.PROVIDER_REFUND,
            idempotency_key=key or f"test-refund:{uuid.uuid4()}",
            trabajo_id=trabajo_id,
            lines=[ledger.debit(ledger.escrow(trabajo_id), amount), ledger.credit(ledger.clearing(), amount)],
        )


def raw(statement: str, params=()) -> None:
    with connections[DB].cursor() as cursor:
        cursor.execute(statement, params)


def test_a_balanced_posting_moves_balances_on_each_accounts_normal_side():
    trabajo_id = uuid.uuid4()
    txn = receive(trabajo_id, Decimal("10000.00"))

    assert [(e.account.code, e.amount) for e in txn.entries.select_related("account")] == [
        ("mercadopago_clearing", Decimal("10000.00")),
        (f"escrow:{trabajo_id}", Decimal("-10000.00")),
    ]
    assert ledger.escrow_balance(trabajo_id) == Decimal("10000.00")  # a liability: credits count up
    assert ledger.balance(ledger.clearing()) >= Decimal("10000.00")  # an asset: debits count up
    assert_ledger_sound()


def test_the_same_business_operation_posts_once():
    trabajo_id = uuid.uuid4()
    first = receive(trabajo_id, key=f"once:{trabajo_id}")
    second = receive(trabajo_id, key=f"once:{trabajo_id}")

    assert first is not None
    assert second is None
    assert LedgerTransaction.objects.filter(idempotency_key=f"once:{trabajo_id}").count() == 1
    assert ledger.escrow_balance(trabajo_id) == Decimal("100.00")


def test_python_refuses_unbalanced_or_one_sided_postings_before_the_database_does():
    trabajo_id = uuid.uuid4()
    with transaction.atomic(using=DB), pytest.raises(LedgerError, match="does not balance"):
        ledger.post(
            kind=TransactionKind.PAYMENT_RECEIVED,
            idempotency_key=f"bad:{trabajo_id}",
            lines=[
                ledger.debit(ledger.clearing(), Decimal("100.00")),
                ledger.credit(ledger.escrow(trabajo_id), Decimal("99.99")),
            ],
        )
    with transaction.atomic(using=DB), pytest.raises(LedgerError, match="two non-zero"):
        ledger.post(
            kind=TransactionKind.PAYMENT_RECEIVED,
            idempotency_key=f"bad2:{trabajo_id}",
            lines=[ledger.debit(ledger.clearing(), Decimal("0.00")), ledger.credit(ledger.clearing(), Decimal("0"))],
        )
    assert not LedgerTransaction.objects.filter(trabajo_id=trabajo_id).exists()


def committed_sql(*statements) -> None:
    """Run raw statements in one database transaction and COMMIT it (deferred checks fire)."""
    with transaction.atomic(using=DB), connections[DB].cursor() as cursor:
        for statement in statements:
            statement(cursor)


def new_txn(txn_id):
    return lambda cursor: _insert_transaction(cursor, txn_id)


def new_entry(txn_id, account_id, amount):
    return lambda cursor: _insert_entry(cursor, txn_id, account_id, amount)


def _insert_transaction(cursor, txn_id):
    cursor.execute(
        "INSERT INTO payments_ledger_transaction (id, kind, idempotency_key, memo, created_at) "
        "VALUES (%s, 'reversal', %s, '', now())",
        [txn_id, f"raw:{txn_id}"],
    )


def _insert_entry(cursor, txn_id, account_id, amount):
    cursor.execute(
        "INSERT INTO payments_ledger_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
        [txn_id, account_id, amount],
    )


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_postgresql_refuses_to_commit_an_unbalanced_transaction():
    clearing_id, revenue_id = account_ids()
    txn_id = uuid.uuid4()

    # Each statement passes: the check is deferred to COMMIT, which fails.
    unbalanced = [
        new_txn(txn_id),
        new_entry(txn_id, clearing_id, Decimal("50.00")),
        new_entry(txn_id, revenue_id, Decimal("-49.00")),
    ]
    with pytest.raises(IntegrityError, match="does not balance"):
        committed_sql(*unbalanced)

    assert not LedgerTransaction.objects.filter(pk=txn_id).exists()
    empty_id = uuid.uuid4()
    with pytest.raises(IntegrityError, match="0 entries"):
        committed_sql(new_txn(empty_id))
    assert not LedgerTransaction.objects.filter(pk=empty_id).exists()


def account_ids() -> tuple[int, int]:
    """The clearing and commission accounts (no balance guard: any amounts go)."""
    with transaction.atomic(using=DB):
        return ledger.clearing().pk, ledger.commission_revenue().pk


def test_within_a_transaction_entries_may_arrive_in_any_order_until_commit():
    clearing_id, revenue_id = account_ids()
    txn_id = uuid.uuid4()
    with connections[DB].cursor() as cursor:
        _insert_transaction(cursor, txn_id)
        _insert_entry(cursor, txn_id, clearing_id, Decimal("5.00"))
        _insert_entry(cursor, txn_id, revenue_id, Decimal("-5.00"))

    check_deferred_constraints()  # what COMMIT would check: balanced, so accepted


def test_postgresql_refuses_updates_and_deletes_of_entries_and_transactions():
    txn = receive(uuid.uuid4())
    entry = txn.entries.first()

    statements = [
        ("UPDATE payments_ledger_entry SET amount = amount + 1 WHERE id = %s", [entry.pk]),
        ("DELETE FROM payments_ledger_entry WHERE id = %s", [entry.pk]),
        ("UPDATE payments_ledger_transaction SET memo = 'edited' WHERE id = %s", [txn.pk]),
        ("DELETE FROM payments_ledger_transaction WHERE id = %s", [txn.pk]),
    ]
    for statement, params in statements:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(using=DB):
            raw(statement, params)

    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == txn.memo


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_balanced_pair_cannot_be_slipped_into_an_earlier_transaction():
    """Entries join only the ledger transaction being created in the same database transaction."""
    earlier = receive(uuid.uuid4())  # committed
    clearing_id, revenue_id = account_ids()

    slipped = [new_entry(earlier.pk, clearing_id, Decimal("1.00")), new_entry(earlier.pk, revenue_id, Decimal("-1.00"))]
    with pytest.raises(IntegrityError, match="while it is being created"):
        committed_sql(*slipped)

    assert earlier.entries.count() == 2


def test_an_escrow_never_goes_below_zero():
    trabajo_id = uuid.uuid4()
    receive(trabajo_id, Decimal("100.00"))

    with pytest.raises(InsufficientFunds):
        refund_out(trabajo_id, Decimal("100.01"))
    assert ledger.escrow_balance(trabajo_id) == Decimal("100.00")
    refund_out(trabajo_id, Decimal("100.00"))
    assert ledger.escrow_balance(trabajo_id) == Decimal("0.00")

    # The same overdraft in raw SQL: the balance column's CHECK refuses it at the statement.
    escrow_id = ledger.escrow(trabajo_id).pk
    clearing_id = ledger.clearing().pk
    txn_id = uuid.uuid4()
    overdraft = [
        new_txn(txn_id),
        new_entry(txn_id, escrow_id, Decimal("0.01")),
        new_entry(txn_id, clearing_id, Decimal("-0.01")),
    ]
    with pytest.raises(IntegrityError, match="ledger_guarded_balance_not_negative"):
        committed_sql(*overdraft)  # (inside the test's own transaction: a savepoint, checked per statement)
    assert_ledger_sound()


def test_balances_change_only_by_posting_and_accounts_are_permanent():
    trabajo_id = uuid.uuid4()
    receive(trabajo_id, Decimal("100.00"))
    escrow = LedgerAccount.objects.get(code=f"escrow:{trabajo_id}")

    refused = [
        ("UPDATE payments_ledger_account SET balance = 1000000 WHERE id = %s", "changes only by posting"),
        ("UPDATE payments_ledger_account SET trabajo_id = gen_random_uuid() WHERE id = %s", "identity"),
        ("DELETE FROM payments_ledger_account WHERE id = %s", "permanent"),
    ]
    for statement, message in refused:
        with pytest.raises(IntegrityError, match=message), transaction.atomic(using=DB):
            raw(statement, [escrow.pk])
    with pytest.raises(IntegrityError, match="starts at zero"), transaction.atomic(using=DB):
        raw(
            "INSERT INTO payments_ledger_account (code, kind, normal_side, balance, created_at) "
            "VALUES ('escrow:forged', 'escrow', 'credit', 500, now())"
        )
    assert ledger.escrow_balance(trabajo_id) == Decimal("100.00")


def test_a_correction_is_a_reversing_transaction_and_the_original_stays():
    trabajo_id = uuid.uuid4()
    original = receive(trabajo_id, Decimal("250.00"))

    with transaction.atomic(using=DB):
        reversal = ledger.reverse(original, idempotency_key=f"reverse:{original.pk}", memo="cargado por error")
    with transaction.atomic(using=DB):
        again = ledger.reverse(original, idempotency_key=f"reverse:{original.pk}", memo="cargado por error")

    assert again is None
    assert reversal.reverses_id == original.pk
    assert sorted(e.amount for e in reversal.entries.all()) == [Decimal("-250.00"), Decimal("250.00")]
    assert original.entries.count() == 2
    assert ledger.escrow_balance(trabajo_id) == Decimal("0.00")
    assert_ledger_sound()


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_concurrent_withdrawals_from_one_escrow_never_overdraw_it():
    trabajo_id = uuid.uuid4()
    receive(trabajo_id, Decimal("100.00"))

    results = run_concurrently(lambda: refund_out(trabajo_id, Decimal("60.00")), 6)

    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(succeeded) == 1
    assert len(refused) == 5
    assert ledger.escrow_balance(trabajo_id) == Decimal("40.00")
    assert_ledger_sound()
