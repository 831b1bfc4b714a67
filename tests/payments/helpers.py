"""Building blocks of the payments tests: trabajos paid through the real sandbox, marketplace events
published and delivered the way the marketplace does it, and the ledger's invariants read in SQL."""

from __future__ import annotations

import contextlib
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import timezone

from conectar.marketplace.contracts import Actor, DisputeResolved, WorkCancelled, WorkCompleted
from conectar.payments import facade
from conectar.payments.contracts import CheckoutDTO
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.models import Payment, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import ledger, payouts, refunds, sync
from conectar.platform.events import publish
from tests.support.events import deliver_outbox

JSON = "application/json"
PRICE = Decimal("10000.00")
RATE = Decimal("0.20")
CENT = Decimal("0.01")


@dataclass
class Trabajo:
    id: uuid.UUID
    cliente_id: uuid.UUID
    profesional_id: uuid.UUID
    checkout: CheckoutDTO
    price: Decimal = PRICE
    mp_payment_id: str | None = None

    def payment(self) -> Payment:
        return Payment.objects.get(trabajo_id=self.id)

    def escrow(self) -> Decimal:
        return ledger.escrow_balance(self.id)


def new_checkout(
    *, price: Decimal = PRICE, cliente_id=None, profesional_id=None, payer_email="cliente@example.com"
) -> Trabajo:
    """What the marketplace does on accept: a checkout for a new trabajo id."""
    trabajo_id = uuid.uuid4()
    cliente_id = cliente_id or uuid.uuid4()
    profesional_id = profesional_id or uuid.uuid4()
    checkout = facade.checkout_create(
        trabajo_id=trabajo_id,
        cliente_id=uuid.UUID(str(cliente_id)),
        profesional_id=uuid.UUID(str(profesional_id)),
        payer_email=payer_email,
        title="Trabajo: arreglo de cañería",
        amount=price,
    )
    return Trabajo(trabajo_id, uuid.UUID(str(cliente_id)), uuid.UUID(str(profesional_id)), checkout, price)


def sandbox_pay(mp_sandbox, trabajo: Trabajo, status: str = "approved", amount=None) -> str:
    """The payer pays in the sandbox; no webhook (the test applies MercadoPago's state itself)."""
    paid = mp_sandbox.pay(trabajo.checkout.preference_id, status=status, amount=amount, notify=False, wait=False)
    trabajo.mp_payment_id = str(paid["id"])
    return trabajo.mp_payment_id


def apply_mercadopago(mp_payment_id: str) -> str:
    """What the webhook worker does: re-read the payment from MercadoPago and apply it."""
    return sync.payment_sync(mercadopago.get_payment(mp_payment_id))


def paid_trabajo(mp_sandbox, **kwargs) -> Trabajo:
    trabajo = new_checkout(**kwargs)
    apply_mercadopago(sandbox_pay(mp_sandbox, trabajo))
    return trabajo


# --- marketplace events, as the marketplace computes and publishes them ----------------------------------


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def emit(*events) -> None:
    with transaction.atomic(using="marketplace"):
        for event in events:
            publish(event)
    deliver_outbox()


def completed(trabajo: Trabajo, *, rate: Decimal = RATE, **overrides) -> WorkCompleted:
    commission = money(trabajo.price * rate)
    fields = {
        "trabajo_id": trabajo.id,
        "cliente_id": trabajo.cliente_id,
        "profesional_id": trabajo.profesional_id,
        "precio_final": trabajo.price,
        "tasa_comision": rate,
        "comision_plataforma": commission,
        "monto_liberado": trabajo.price - commission,
    }
    return WorkCompleted(**{**fields, **overrides})


def cancelled(trabajo: Trabajo, *, refund: bool = True) -> WorkCancelled:
    return WorkCancelled(
        trabajo_id=trabajo.id,
        cliente_id=trabajo.cliente_id,
        profesional_id=trabajo.profesional_id,
        cancelled_by=Actor.CLIENTE,
        professional_at_fault=False,
        refund=refund,
        precio_final=trabajo.price,
        motivo="Ya no lo necesito",
    )


def resolved(trabajo: Trabajo, porcentaje: int, *, rate: Decimal = RATE) -> DisputeResolved:
    refunded = money(trabajo.price * porcentaje / 100)
    released_gross = trabajo.price - refunded
    commission = money(released_gross * rate)
    return DisputeResolved(
        trabajo_id=trabajo.id,
        cliente_id=trabajo.cliente_id,
        profesional_id=trabajo.profesional_id,
        porcentaje_reembolso=porcentaje,
        professional_lost=porcentaje > 50,
        precio_final=trabajo.price,
        tasa_comision=rate,
        monto_reembolsado=refunded,
        comision_plataforma=commission,
        monto_liberado=released_gross - commission,
    )


# --- the ledger, read in SQL ---------------------------------------------------------------------------


def sql(query: str, params=()) -> list[tuple]:
    with connections["payments"].cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def check_deferred_constraints() -> None:
    """Fire the commit-time checks now (inside a test's never-committed transaction)."""
    with connections["payments"].cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def assert_ledger_sound() -> None:
    """Every transaction balances with ≥ 2 entries; no guarded account is negative; each guarded
    balance column equals the sum of its entries."""
    unbalanced = sql(
        "SELECT t.id FROM payments_ledger_transaction t LEFT JOIN payments_ledger_entry e ON e.transaction_id = t.id "
        "GROUP BY t.id HAVING count(e.id) < 2 OR coalesce(sum(e.amount), 0) <> 0"
    )
    assert unbalanced == []
    negative = sql("SELECT code, balance FROM payments_ledger_account WHERE balance < 0")
    assert negative == []
    drift = sql(
        "SELECT a.code, a.balance, coalesce(sum(e.amount), 0) FROM payments_ledger_account a "
        "LEFT JOIN payments_ledger_entry e ON e.account_id = a.id WHERE a.balance IS NOT NULL "
        "GROUP BY a.id HAVING a.balance <> -coalesce(sum(e.amount), 0)"
    )
    assert drift == []
    check_deferred_constraints()


def clearing_balance() -> Decimal:
    return ledger.balance(ledger.clearing())


def reconcile(since: date | None = None) -> tuple[str, CommandError | None]:
    """`manage.py reconcile_payments --since` (today by default): its output, and its error if it failed."""
    out = io.StringIO()
    try:
        call_command("reconcile_payments", "--since", (since or timezone.localdate()).isoformat(), stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


# --- where the sandbox's webhooks go --------------------------------------------------------------------

NOWHERE = "http://127.0.0.1:9"  # the discard port: refused at once


@pytest.fixture(autouse=True)
def webhooks_nowhere(settings):
    """Checkouts name a notification URL nothing listens on, so the sandbox's own webhooks (after a
    payment or a refund) fail fast instead of reaching whatever runs on :8000; the tests apply
    MercadoPago's state themselves, or use `payments_worker` (which aims them at the live server)."""
    settings.PUBLIC_API_URL = NOWHERE


# --- a worker that talks to the sandbox ----------------------------------------------------------------


@pytest.fixture
def payments_worker(worker, mp_sandbox, live_server, settings):
    """The real Celery worker (which reaches the sandbox through the environment that
    tests/support/mp_sandbox exports before it starts), and webhooks aimed at the live server."""
    settings.PUBLIC_API_URL = live_server.url
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0.2
    return worker


# --- what other contexts' money tests read of a trabajo (they may not import payments' services) ---------


def escrow_of(trabajo_id) -> Decimal:
    return ledger.escrow_balance(uuid.UUID(str(trabajo_id)))


def money_out_of(trabajo_id) -> Decimal:
    """What left the platform's account for the trabajo: refunds of its confirmed payment (ours and
    MercadoPago's own) and payouts to the professional, as the ledger says."""
    rows = sql(
        "SELECT coalesce(sum(-e.amount), 0) FROM payments_ledger_entry e "
        "JOIN payments_ledger_transaction t ON t.id = e.transaction_id "
        "JOIN payments_ledger_account a ON a.id = e.account_id "
        "WHERE a.code = 'mercadopago_clearing' AND t.trabajo_id = %s "
        "AND t.kind IN ('refund_completed', 'provider_refund', 'chargeback_lost', 'payout_completed')",
        [str(trabajo_id)],
    )
    return Decimal(rows[0][0])


def money_in_of(trabajo_id) -> Decimal:
    rows = sql(
        "SELECT coalesce(sum(e.amount), 0) FROM payments_ledger_entry e "
        "JOIN payments_ledger_transaction t ON t.id = e.transaction_id "
        "JOIN payments_ledger_account a ON a.id = e.account_id "
        "WHERE a.code = 'mercadopago_clearing' AND t.trabajo_id = %s "
        "AND t.kind IN ('payment_received', 'duplicate_payment')",
        [str(trabajo_id)],
    )
    return Decimal(rows[0][0])


def releases_of(trabajo_id) -> int:
    return sql(
        "SELECT count(*) FROM payments_ledger_transaction WHERE trabajo_id = %s AND kind = 'release'",
        [str(trabajo_id)],
    )[0][0]


def send_queued() -> None:
    """The payments worker's part, done in-process: one attempt at every due refund and payout."""
    for refund_id in Refund.objects.filter(status=RefundStatus.REQUESTED).values_list("pk", flat=True):
        refunds.refund_send(refund_id)
    for payout_id in Payout.objects.filter(status__in=[PayoutStatus.PENDING, PayoutStatus.SENT]).values_list(
        "pk", flat=True
    ):
        payouts.payout_send(payout_id)


@contextlib.contextmanager
def table_locked(table: str, mode: str):
    """`LOCK TABLE <table> IN <mode> MODE` on the payments database, from a connection of the test's
    own, held until the block ends: a worker reaches the statement that needs the table and waits
    there (a kill point, or a moment held still)."""
    s = connections["payments"].settings_dict
    with psycopg.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"]) as conn:
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        yield
        conn.rollback()
