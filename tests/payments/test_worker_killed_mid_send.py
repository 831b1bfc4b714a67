"""A worker SIGKILLed between MercadoPago's answer and our record of it: after the lease that
`services/retries.py` promises, another worker takes the refund or payout over and finishes it, and
MercadoPago holds exactly one refund / one transfer (the same idempotency key both times).

The kill point is a table lock the test holds on the ledger's transactions: the worker's provider
call goes through, then its completion (the ledger posting) blocks on the lock, and the test
SIGKILLs the worker's whole process group there; PostgreSQL rolls its transaction back. Real
Celery workers (prefork, embedded beat) with a 3 s lease and a 1 s sweep."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections

from conectar.celery import app as celery_app
from conectar.payments.models import LedgerTransaction, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import ledger
from tests.payments.helpers import (
    JSON,
    NOWHERE,
    assert_ledger_sound,
    cancelled,
    completed,
    emit,
    paid_trabajo,
    table_locked,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.mp_sandbox import header
from tests.support.professionals import new_professional
from tests.support.waiting import wait_until
from tests.support.worker import CeleryWorker

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LEASE_SECONDS = "3"
KILL_POINT_TABLE = LedgerTransaction._meta.db_table  # the completion's first insert


@pytest.fixture
def workers(celery_worker, mp_sandbox, settings):
    """Start workers of the test's own (short lease, fast sweep, Money Out payouts); the suite's
    worker steps aside meanwhile (its product lease would make the takeover wait a minute)."""
    settings.PAYOUT_PROVIDER = "mercadopago"
    celery_worker.stop(cleanup=False)
    started: list[CeleryWorker] = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(
            broker_url=os.environ["CELERY_BROKER_URL"],
            log_path=ARTIFACTS / f"celery-{name}.log",
            concurrency=1,
            own_session=True,
            extra_env={
                "PGAPPNAME": name,
                "DB_POOL_SIZE": "1",
                "PAYMENTS_LEASE_SECONDS": LEASE_SECONDS,
                "PAYMENTS_SWEEP_SECONDS": "1",
                "PAYOUT_PROVIDER": "mercadopago",
                "PUBLIC_API_URL": NOWHERE,
            },
        )
        worker.start(celery_app)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
    celery_worker.start(celery_app)


def kill_point():
    """Hold the ledger's transactions table: reads pass, the completion's INSERT waits."""
    return table_locked(KILL_POINT_TABLE, "EXCLUSIVE")


def blocked_on_lock(app_name: str) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            [app_name],
        )
        return cursor.fetchone()[0] > 0


def test_a_refund_whose_worker_died_after_mercadopago_refunded_is_finished_once_by_another(mp_sandbox, workers):
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo))  # reserved and queued; no worker is running yet
    refund = Refund.objects.get(trabajo_id=trabajo.id)
    refunds_path = f"/v1/payments/{trabajo.mp_payment_id}/refunds"

    with kill_point():
        doomed = workers("refund-killed")
        wait_until(lambda: len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1, message="MercadoPago refunded")
        wait_until(lambda: blocked_on_lock("refund-killed"), message="the worker recording the refund")
        doomed.kill()

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.REQUESTED, 1), "recorded although killed"
    assert not ledger.already_posted(f"refund_completed:{refund.pk}")

    workers("refund-takeover")
    wait_until(
        lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.COMPLETED,
        timeout=60,
        message="another worker finishing the refund after the lease",
    )
    refund.refresh_from_db()
    assert refund.attempts == 2  # taken over once its lease ran out, not before
    at_mercadopago = mp_sandbox.refunds(trabajo.mp_payment_id)
    assert [Decimal(str(r["amount"])) for r in at_mercadopago] == [trabajo.price]
    assert refund.provider_refund_id == str(at_mercadopago[0]["id"])
    keys = {header(r, "X-Idempotency-Key") for r in mp_sandbox.requests(refunds_path, method="POST")}
    assert keys == {str(refund.pk)}
    assert LedgerTransaction.objects.filter(idempotency_key=f"refund_completed:{refund.pk}").count() == 1
    assert trabajo.escrow() == 0
    assert ledger.refund_payable_balance(trabajo.id) == 0
    assert_ledger_sound()


def test_a_payout_whose_worker_died_after_the_transfer_is_finished_once_by_another(client, mp_sandbox, workers):
    pro = new_professional(client)
    response = client.put(
        "/api/v1/professional/payout-info", {"payout_account": "pedro.gomez.mp"}, content_type=JSON, headers=pro.headers
    )
    assert response.status_code == 200, response.content
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro.session.user_id)
    emit(completed(trabajo))  # released, the payout created and queued; no worker is running yet
    payout = Payout.objects.get(trabajo_id=trabajo.id)

    with kill_point():
        doomed = workers("payout-killed")
        wait_until(lambda: len(mp_sandbox.transfers()) == 1, message="MercadoPago transferred")
        wait_until(lambda: blocked_on_lock("payout-killed"), message="the worker recording the transfer")
        doomed.kill()

    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == (PayoutStatus.PENDING, 1), "recorded although killed"

    workers("payout-takeover")
    wait_until(
        lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.COMPLETED,
        timeout=60,
        message="another worker finishing the payout after the lease",
    )
    payout.refresh_from_db()
    assert payout.attempts == 2
    [transfer] = mp_sandbox.transfers()
    assert payout.reference == transfer["id"]
    assert Decimal(str(transfer["transaction"]["total_amount"])) == payout.amount
    keys = {header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/v1/transaction-intents", method="POST")}
    assert keys == {str(payout.pk)}
    assert LedgerTransaction.objects.filter(idempotency_key=f"payout_completed:{payout.pk}").count() == 1
    assert ledger.balance(ledger.professional_payable(trabajo.profesional_id)) == 0
    assert_ledger_sound()
