"""Money decisions of the payments context racing each other, from threads with connections of their
own and through the real worker: the same refund or payout taken by several workers at once, a staff
refund against the client's cancellation, two staff refunds, a chargeback webhook against a release
or a cancellation. Exactly one outcome; a refused one is a 400 with its code; nothing leaves twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from conectar.celery import app as celery_app
from conectar.payments.contracts import PaymentStatus
from conectar.payments.models import HeldDecision, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import dispatch, ledger, payouts, refunds
from conectar.payments.services.freeze import payment_unfreeze
from conectar.shared.errors import Conflict
from tests.payments.helpers import (
    JSON,
    apply_mercadopago,
    assert_ledger_sound,
    cancelled,
    completed,
    emit,
    paid_trabajo,
    payments_worker,  # noqa: F401 - fixture
    table_locked,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.concurrency import run_concurrently, run_together
from tests.support.professionals import new_professional
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

TIMES = 4  # threads per race: each holds its own connection to every database it touches


@pytest.fixture
def money_out(settings):
    settings.PAYOUT_PROVIDER = "mercadopago"
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0


def pro_account(client) -> str:
    pro = new_professional(client)
    response = client.put(
        "/api/v1/professional/payout-info", {"payout_account": "pedro.gomez.mp"}, content_type=JSON, headers=pro.headers
    )
    assert response.status_code == 200, response.content
    return pro.session.user_id


def refund_posts(mp_sandbox, trabajo) -> list[dict]:
    return mp_sandbox.requests(f"/v1/payments/{trabajo.mp_payment_id}/refunds", method="POST")


def no_errors(outcomes: list) -> None:
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes


# --- one refund or payout, several workers --------------------------------------------------------------


def test_the_same_refund_taken_by_several_threads_at_once_reaches_mercadopago_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo))  # the suite's worker, if running, may handle it and race the threads too
    refund = wait_until(lambda: Refund.objects.filter(trabajo_id=trabajo.id).first(), message="the refund")

    no_errors(run_concurrently(lambda: refunds.refund_send(refund.pk), times=TIMES))

    refund = wait_until(
        lambda: Refund.objects.filter(pk=refund.pk, status=RefundStatus.COMPLETED).first(), message="completed"
    )
    assert len(refund_posts(mp_sandbox, trabajo)) == 1
    assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mp_payment_id)] == [trabajo.price]
    assert refund.attempts == 1
    assert trabajo.escrow() == 0 == ledger.refund_payable_balance(trabajo.id)
    assert_ledger_sound()


@pytest.mark.usefixtures("payments_worker")
def test_the_same_refund_queued_many_times_to_the_real_worker_is_sent_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo))  # the running worker may be the one to handle it
    refund = wait_until(lambda: Refund.objects.filter(trabajo_id=trabajo.id).first(), message="the refund")
    for _ in range(6):  # redeliveries, the sweep, a staff retry click: all at once on two processes
        dispatch.enqueue(dispatch.SEND_REFUND, refund.pk)

    wait_until(lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.COMPLETED, message="completed")
    assert len(refund_posts(mp_sandbox, trabajo)) == 1
    assert trabajo.escrow() == 0
    assert_ledger_sound()


def test_the_same_payout_taken_by_several_threads_at_once_is_one_transfer(client, mp_sandbox, money_out):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_account(client))
    emit(completed(trabajo))  # the suite's worker, if running, may handle it and race the threads too
    payout = wait_until(lambda: Payout.objects.filter(trabajo_id=trabajo.id).first(), message="the payout")

    no_errors(run_concurrently(lambda: payouts.payout_send(payout.pk), times=TIMES))

    payout = wait_until(
        lambda: Payout.objects.filter(pk=payout.pk, status=PayoutStatus.COMPLETED).first(), message="completed"
    )
    assert len(mp_sandbox.requests("/v1/transaction-intents", method="POST")) == 1
    assert len(mp_sandbox.transfers()) == 1
    assert ledger.balance(ledger.professional_payable(trabajo.profesional_id)) == 0
    assert_ledger_sound()


@pytest.mark.usefixtures("payments_worker")
def test_the_same_payout_queued_many_times_to_the_real_worker_is_one_transfer(client, mp_sandbox, money_out):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_account(client))
    emit(completed(trabajo))  # the running worker may be the one to handle it
    payout = wait_until(lambda: Payout.objects.filter(trabajo_id=trabajo.id).first(), message="the payout")
    for _ in range(6):
        dispatch.enqueue(dispatch.SEND_PAYOUT, payout.pk)

    wait_until(lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.COMPLETED, message="completed")
    assert len(mp_sandbox.transfers()) == 1
    assert_ledger_sound()


# --- staff refunds ----------------------------------------------------------------------------------------


def test_two_staff_refunds_at_once_make_one_refund_and_the_other_is_told_why(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    outcomes = run_concurrently(
        lambda: refunds.staff_refund(trabajo_id=trabajo.id, amount=None, requested_by=None), times=TIMES
    )

    made = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(made), len(refused)) == (1, TIMES - 1), outcomes
    assert {(r.status, r.code) for r in refused} == {(400, "refund_in_progress")}
    assert Refund.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert trabajo.escrow() == 0
    assert_ledger_sound()


def test_a_staff_refund_racing_the_cancellation_refunds_the_price_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    staff, cancellation = run_together(
        lambda: refunds.staff_refund(trabajo_id=trabajo.id, amount=None, requested_by=None),
        lambda: emit(cancelled(trabajo)),
    )

    assert not isinstance(cancellation, Exception), cancellation  # the marketplace's decision is never refused
    if isinstance(staff, Exception):
        assert isinstance(staff, Conflict), staff
        assert staff.code == "refund_in_progress", staff
    reserved = Refund.objects.filter(trabajo_id=trabajo.id)
    assert reserved.count() == 1
    assert sum(r.amount for r in reserved) == trabajo.price
    assert trabajo.escrow() == 0
    assert_ledger_sound()


# --- a chargeback webhook racing the marketplace's decisions --------------------------------------------


@pytest.mark.parametrize("decision", [completed, cancelled])
def test_a_chargeback_webhook_racing_a_decision_holds_it_and_winning_the_case_carries_it_out_once(
    client, mp_sandbox, money_out, decision
):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_account(client))
    mp_sandbox.set_status(trabajo.mp_payment_id, "charged_back", notify=False)

    outcomes = run_together(lambda: emit(decision(trabajo)), lambda: apply_mercadopago(trabajo.mp_payment_id))

    no_errors(outcomes)  # neither the decision nor the webhook fails (nothing dead-lettered)
    payment = trabajo.payment()
    assert (payment.status, payment.frozen) == (PaymentStatus.CHARGED_BACK, True)

    def settled() -> tuple[int, bool] | None:  # the running worker may be the one handling the decision
        held, moved = HeldDecision.objects.filter(trabajo_id=trabajo.id).count(), trabajo.escrow() == 0
        return (held, moved) if held or moved else None

    held, moved = wait_until(settled, message="the decision carried out or held")
    assert held + moved == 1, (held, moved)  # either carried out before the freeze, or held by it

    mp_sandbox.set_status(trabajo.mp_payment_id, "approved", notify=False)
    apply_mercadopago(trabajo.mp_payment_id)
    for payout in Payout.objects.filter(trabajo_id=trabajo.id):
        payouts.payout_send(payout.pk)
    for refund in Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.REQUESTED):
        refunds.refund_send(refund.pk)

    assert trabajo.escrow() == 0
    if decision is completed:  # sent by this test or by the running worker, whichever claimed it
        wait_until(lambda: Payout.objects.filter(trabajo_id=trabajo.id, status=PayoutStatus.COMPLETED).exists())
        assert Payout.objects.filter(trabajo_id=trabajo.id).count() == 1
        assert len(mp_sandbox.transfers()) == 1
        assert not Refund.objects.filter(trabajo_id=trabajo.id).exists()
    else:
        wait_until(lambda: Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.COMPLETED).exists())
        assert Refund.objects.filter(trabajo_id=trabajo.id).count() == 1
        assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mp_payment_id)] == [trabajo.price]
        assert not Payout.objects.filter(trabajo_id=trabajo.id).exists()
    assert_ledger_sound()


# --- a freeze lifted while a worker is deciding to hold a payout -----------------------------------------


@pytest.fixture
def no_worker(celery_worker):
    """The suite's worker steps aside: this test alone decides who sends the payout, and when."""
    celery_worker.stop(cleanup=False)
    yield
    celery_worker.start(celery_app)


def payouts_held_still():
    """SHARE lock on the payouts table: a worker may lock its payout row and read, but its UPDATE waits."""
    return table_locked(Payout._meta.db_table, "SHARE")


def waiting_on_lock(statement_start: str) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [statement_start + "%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.usefixtures("no_worker")
def test_a_freeze_lifted_while_a_worker_holds_the_payout_never_leaves_it_held_forever(client, mp_sandbox, money_out):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_account(client))
    emit(completed(trabajo))
    payout = Payout.objects.get(trabajo_id=trabajo.id)
    mp_sandbox.set_status(trabajo.mp_payment_id, "in_mediation", notify=False)
    apply_mercadopago(trabajo.mp_payment_id)  # frozen: the payout must wait
    payment_id = trabajo.payment().pk

    with payouts_held_still():
        # A worker finds the payment frozen and is about to hold the payout (its UPDATE waits) …
        worker = threading.Thread(target=lambda: (payouts.payout_send(payout.pk), connections.close_all()))
        worker.start()
        wait_until(lambda: waiting_on_lock('UPDATE "payments_payout"'), message="the worker holding the payout")
        # … while staff lift the freeze: they wait for the worker's decision, or must see it.
        unfrozen = []
        staff = threading.Thread(
            target=lambda: (unfrozen.append(payment_unfreeze(payment_id=payment_id)), connections.close_all())
        )
        staff.start()
        wait_until(
            lambda: unfrozen or waiting_on_lock('SELECT "payments_payment"'), message="the freeze lifted or waiting"
        )
    worker.join()
    staff.join()

    assert unfrozen == [True]
    payout.refresh_from_db()
    assert payout.next_attempt_at is not None, "held although the freeze is lifted: nobody will send it"
    payouts.payout_send(payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert len(mp_sandbox.transfers()) == 1
    assert_ledger_sound()
