"""Refunds: the whole escrow on cancellation, part of it on a dispute split, staff refunds; reserved
in the ledger first, sent to MercadoPago once (idempotency key = refund id) by the worker."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from conectar.payments import tasks
from conectar.payments.contracts import PaymentStatus, refund_id_for
from conectar.payments.models import LedgerTransaction, PaymentAlert, Refund, RefundStatus
from conectar.payments.services import ledger, refunds
from tests.payments.helpers import (
    JSON,
    apply_mercadopago,
    assert_ledger_sound,
    cancelled,
    clearing_balance,
    emit,
    new_checkout,
    paid_trabajo,
    payments_worker,  # noqa: F401 - fixture
    resolved,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.accounts import admin_session, signed_up
from tests.support.events import published
from tests.support.mp_sandbox import header
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__")

SERVICE_KEY = "svc-key-payments-0123456789"


@pytest.fixture
def fast_retries(settings):
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0
    settings.PAYOUT_MAX_ATTEMPTS = 3


def refunded_events(trabajo) -> list[dict]:
    return [e for e in published("payments.refunded.v1", "payments") if e["trabajo_id"] == str(trabajo.id)]


def send_all(trabajo) -> None:
    """What the worker does with each queued refund of the trabajo."""
    for refund in Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.REQUESTED):
        refunds.refund_send(refund.pk)


def test_cancelling_a_paid_trabajo_refunds_the_whole_escrow_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    before = clearing_balance()

    emit(cancelled(trabajo, refund=True))

    refund = Refund.objects.get(trabajo_id=trabajo.id)
    assert refund.pk == refund_id_for(trabajo.id)
    assert (refund.status, refund.amount, refund.initiated_by) == (RefundStatus.REQUESTED, trabajo.price, "marketplace")
    assert trabajo.escrow() == 0  # reserved at once: nothing can release it now
    assert ledger.refund_payable_balance(trabajo.id) == trabajo.price
    assert refunded_events(trabajo) == []  # not yet: MercadoPago has not confirmed

    send_all(trabajo)
    send_all(trabajo)

    [sent] = mp_sandbox.requests(f"/v1/payments/{trabajo.mp_payment_id}/refunds", method="POST")
    assert header(sent, "X-Idempotency-Key") == str(refund.pk)
    assert len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert ledger.refund_payable_balance(trabajo.id) == 0
    assert clearing_balance() == before - trabajo.price
    [event] = refunded_events(trabajo)
    assert (event["amount"], event["remaining_escrow"], event["initiated_by"]) == ("10000.00", "0.00", "marketplace")
    assert trabajo.payment().status == PaymentStatus.REFUNDED

    # MercadoPago's own notification of that refund is not mistaken for a refund made outside.
    apply_mercadopago(trabajo.mp_payment_id)
    assert len(refunded_events(trabajo)) == 1
    assert Refund.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert_ledger_sound()


def test_cancelling_with_nothing_left_in_escrow_moves_nothing(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    emit(resolved(trabajo, 0))  # all released already

    emit(cancelled(trabajo, refund=True))

    assert not Refund.objects.filter(trabajo_id=trabajo.id).exists()
    assert_ledger_sound()


def test_an_unpaid_trabajo_cancelled_closes_its_checkout(mp_sandbox):
    trabajo = new_checkout()

    emit(cancelled(trabajo, refund=False))

    assert trabajo.payment().status == PaymentStatus.CANCELLED
    assert not LedgerTransaction.objects.filter(trabajo_id=trabajo.id).exists()


def test_a_payment_arriving_after_the_unpaid_trabajo_was_cancelled_goes_straight_back(mp_sandbox):
    trabajo = new_checkout()
    emit(cancelled(trabajo, refund=False))
    mp_id = sandbox_pay(mp_sandbox, trabajo)

    outcome = apply_mercadopago(mp_id)

    assert outcome == "pago tardío de un trabajo cancelado: reembolsado"
    refund = Refund.objects.get(trabajo_id=trabajo.id)
    assert (refund.amount, refund.initiated_by) == (trabajo.price, "payments")
    assert PaymentAlert.objects.filter(kind=PaymentAlert.Kind.LATE_PAYMENT, trabajo_id=trabajo.id).exists()
    # The marketplace hears of the payment and asks for the refund as well: still one refund.
    emit(cancelled(trabajo, refund=True))
    send_all(trabajo)
    assert len(mp_sandbox.refunds(mp_id)) == 1
    assert trabajo.escrow() == 0
    assert_ledger_sound()


def test_a_dispute_split_refunds_its_share_through_mercadopago(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    emit(resolved(trabajo, 40))
    send_all(trabajo)

    [mp_refund] = mp_sandbox.refunds(trabajo.mp_payment_id)
    assert Decimal(str(mp_refund["amount"])) == Decimal("4000.00")
    [event] = refunded_events(trabajo)
    assert (event["amount"], event["remaining_escrow"]) == ("4000.00", "0.00")
    assert trabajo.escrow() == 0
    assert_ledger_sound()


def test_a_full_refund_by_dispute_releases_nothing(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    emit(resolved(trabajo, 100))

    assert not LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="release").exists()
    assert Refund.objects.get(trabajo_id=trabajo.id).amount == trabajo.price


def test_a_refund_whose_answer_timed_out_is_retried_into_one_refund(mp_sandbox, settings, fast_retries):
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.5
    settings.MERCADOPAGO_MAX_RETRIES = 0  # the adapter gives up at once: the worker's retry is under test
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo, refund=True))
    mp_sandbox.hang_next(f"/v1/payments/{trabajo.mp_payment_id}/refunds", seconds=3, perform=True)

    send_all(trabajo)  # MercadoPago refunds, but its answer never arrives
    refund = Refund.objects.get(trabajo_id=trabajo.id)
    assert (refund.status, refund.attempts) == (RefundStatus.REQUESTED, 1)
    send_all(trabajo)

    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1
    keys = {
        header(r, "X-Idempotency-Key") for r in mp_sandbox.requests(f"/v1/payments/{trabajo.mp_payment_id}/refunds")
    }
    assert keys == {str(refund.pk)}
    assert len(refunded_events(trabajo)) == 1


def test_a_refund_mercadopago_refuses_stays_reserved_and_staff_retry_it(mp_sandbox, django_user_model):
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo, refund=True))
    mp_sandbox.fail_next(f"/v1/payments/{trabajo.mp_payment_id}/refunds", count=1, status=400)

    send_all(trabajo)

    refund = Refund.objects.get(trabajo_id=trabajo.id)
    assert refund.status == RefundStatus.FAILED
    assert trabajo.escrow() == 0
    assert ledger.refund_payable_balance(trabajo.id) == trabajo.price  # owed to the client, never released
    assert PaymentAlert.objects.filter(kind=PaymentAlert.Kind.REFUND_FAILED, trabajo_id=trabajo.id).exists()

    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("caja@example.com", "Clave-Segura-2024"))
    response = staff.post("/admin/payments/refund/", {"action": "retry", "_selected_action": [str(refund.pk)]})
    assert response.status_code == 302
    send_all(trabajo)

    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1
    assert_ledger_sound()


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.usefixtures("payments_worker")
def test_the_worker_sends_the_refund_after_the_cancellation_commits(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    emit(cancelled(trabajo, refund=True))

    wait_until(
        lambda: Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.COMPLETED).exists(),
        timeout=60,
        message="the worker completed the refund",
    )
    assert len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1
    assert trabajo.escrow() == 0
    assert_ledger_sound()


# --- POST /payment/refund ------------------------------------------------------------------------------


def staff_refund(client, headers, trabajo_id, amount=None, **extra):
    body = {"trabajo_id": str(trabajo_id)}
    if amount is not None:
        body["amount"] = amount
    return client.post("/api/v1/payment/refund", body, content_type=JSON, headers={**headers, **extra})


def test_staff_refund_part_of_the_escrow(client, django_user_model, mp_sandbox):
    admin = admin_session(client, django_user_model)
    trabajo = paid_trabajo(mp_sandbox)

    response = staff_refund(client, admin.headers, trabajo.id, "2500.50")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["amount"], body["status"], body["initiated_by"]) == ("2500.50", "requested", "staff")
    assert Refund.objects.get(pk=body["refund_id"]).requested_by == uuid.UUID(admin.user_id)
    assert trabajo.escrow() == Decimal("7499.50")
    busy = staff_refund(client, admin.headers, trabajo.id, "1.00")
    assert (busy.status_code, busy.json()["code"]) == (400, "refund_in_progress")

    send_all(trabajo)
    [event] = refunded_events(trabajo)
    assert (event["initiated_by"], event["remaining_escrow"]) == ("staff", "7499.50")
    assert trabajo.payment().status == PaymentStatus.APPROVED
    rest = staff_refund(client, admin.headers, trabajo.id)  # no amount: all that is left
    assert rest.json()["amount"] == "7499.50"


def test_a_repeated_staff_refund_with_the_same_idempotency_key_is_one_refund(client, django_user_model, mp_sandbox):
    admin = admin_session(client, django_user_model)
    trabajo = paid_trabajo(mp_sandbox)

    first = staff_refund(client, admin.headers, trabajo.id, 1000, **{"Idempotency-Key": "click-1"})
    second = staff_refund(client, admin.headers, trabajo.id, 1000, **{"Idempotency-Key": "click-1"})

    assert first.status_code == second.status_code == 202
    assert first.json()["refund_id"] == second.json()["refund_id"]
    reused = staff_refund(client, admin.headers, trabajo.id, 500, **{"Idempotency-Key": "click-1"})
    assert (reused.status_code, reused.json()["code"]) == (400, "idempotency_key_reused")
    assert Refund.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert trabajo.escrow() == Decimal("9000.00")


def test_staff_refund_refusals_have_the_error_body(client, django_user_model, mp_sandbox, settings):
    settings.INTERNAL_SERVICE_KEYS = [SERVICE_KEY]
    admin = admin_session(client, django_user_model)
    cliente = signed_up(client)
    trabajo = paid_trabajo(mp_sandbox)
    unpaid = new_checkout()

    too_much = staff_refund(client, admin.headers, trabajo.id, "10000.01")
    assert (too_much.status_code, too_much.json()["code"]) == (400, "insufficient_funds")
    for bad in ("-5", "0", "1.001", "abc"):
        invalid = staff_refund(client, admin.headers, trabajo.id, bad)
        assert invalid.status_code == 422, bad
        assert "amount" in invalid.json()["fields"]
    assert staff_refund(client, admin.headers, uuid.uuid4()).status_code == 404
    not_paid = staff_refund(client, admin.headers, unpaid.id)
    assert (not_paid.status_code, not_paid.json()["code"]) == (400, "payment_not_confirmed")
    assert staff_refund(client, cliente.headers, trabajo.id).status_code == 403
    assert staff_refund(client, {}, trabajo.id).status_code == 401

    mp_sandbox.set_status(trabajo.mp_payment_id, "charged_back", notify=False)
    apply_mercadopago(trabajo.mp_payment_id)
    frozen = staff_refund(client, {"X-Service-Key": SERVICE_KEY}, trabajo.id)
    assert (frozen.status_code, frozen.json()["code"]) == (400, "payment_frozen")
    assert not Refund.objects.filter(trabajo_id=trabajo.id).exists()
    assert trabajo.escrow() == trabajo.price


def test_the_beat_sweep_sends_a_refund_whose_task_was_lost(mp_sandbox, settings):
    """The refund's task never reached a worker (broker down at commit): it stays due in the
    database, and the sweep hands it out again."""
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo, refund=True))  # in this test the commit hook never runs: "lost"
    refund = Refund.objects.get(trabajo_id=trabajo.id)
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the sweep's sends run here, in this process

    assert tasks.sweep() == 1

    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert len(mp_sandbox.refunds(trabajo.mp_payment_id)) == 1
    assert tasks.sweep() == 0
