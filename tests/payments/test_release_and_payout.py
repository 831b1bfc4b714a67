"""Release on WorkCompleted (ledger split, commission on the frozen rate) and the payout: manual
(staff mark it paid in the admin) or MercadoPago Money Out (worker, retries, failures)."""

import dataclasses
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from conectar.payments.contracts import PaymentNotConfirmed, payout_id_for
from conectar.payments.models import LedgerTransaction, Payment, PaymentAlert, Payout, PayoutStatus
from conectar.payments.services import escrow, ledger, payouts
from conectar.payments.services.escrow import EscrowMismatch
from tests.payments.helpers import (
    JSON,
    apply_mercadopago,
    assert_ledger_sound,
    completed,
    emit,
    new_checkout,
    paid_trabajo,
    payments_worker,  # noqa: F401 - fixture
    resolved,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.accounts import admin_session, signed_up
from tests.support.events import deliver_outbox, published
from tests.support.mp_sandbox import header
from tests.support.professionals import new_professional
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__")

SERVICE_KEY = "svc-key-payments-0123456789"
PAYOUTS = "/admin/payments/payout/"


@pytest.fixture
def service_key(settings):
    settings.INTERNAL_SERVICE_KEYS = [SERVICE_KEY]
    return {"X-Service-Key": SERVICE_KEY}


@pytest.fixture
def staff(django_user_model):
    account = django_user_model.objects.create_superuser("tesoreria@example.com", "Clave-Segura-2024")
    browser = Client()
    browser.force_login(account)
    browser.account = account
    return browser


@pytest.fixture
def money_out(settings):
    settings.PAYOUT_PROVIDER = "mercadopago"
    settings.PAYOUT_MAX_ATTEMPTS = 3
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0  # every retry is due at once; the test drives them


def pro_with_account(client, account="pedro.gomez.mp"):
    pro = new_professional(client)
    response = client.put(
        "/api/v1/professional/payout-info", {"payout_account": account}, content_type=JSON, headers=pro.headers
    )
    assert response.status_code == 200, response.content
    return pro


def payable(profesional_id) -> Decimal:
    return ledger.balance(ledger.professional_payable(profesional_id))


def commission_of(trabajo) -> Decimal:
    txn = LedgerTransaction.objects.get(trabajo_id=trabajo.id, kind="release")
    return -sum(e.amount for e in txn.entries.filter(account__code="commission_revenue"))


# --- release ---------------------------------------------------------------------------------------------


def test_release_splits_the_escrow_and_a_manual_payout_waits_for_staff(mp_sandbox, staff):
    trabajo = paid_trabajo(mp_sandbox)

    emit(completed(trabajo, rate=Decimal("0.15")))

    assert trabajo.escrow() == 0
    assert payable(trabajo.profesional_id) == Decimal("8500.00")
    assert commission_of(trabajo) == Decimal("1500.00")
    payout = Payout.objects.get(trabajo_id=trabajo.id)
    assert payout.pk == payout_id_for(trabajo.id)
    assert (payout.status, payout.amount, payout.provider) == (
        PayoutStatus.PENDING_MANUAL,
        Decimal("8500.00"),
        "manual",
    )
    assert mp_sandbox.requests("/v1/transaction-intents") == []
    assert_ledger_sound()

    queue = staff.get(PAYOUTS)
    assert queue.status_code == 200
    assert str(trabajo.id) in queue.content.decode()
    asked = staff.post(PAYOUTS, {"action": "mark_paid", "_selected_action": [str(payout.pk)]})
    assert asked.status_code == 200
    assert "Referencia de la transferencia" in asked.content.decode()
    done = staff.post(
        PAYOUTS,
        {"action": "mark_paid", "apply": "yes", "reference": "TRF-0042", "_selected_action": [str(payout.pk)]},
    )
    assert done.status_code == 302
    staff.post(
        PAYOUTS,
        {"action": "mark_paid", "apply": "yes", "reference": "TRF-0043", "_selected_action": [str(payout.pk)]},
    )

    payout.refresh_from_db()
    assert (payout.status, payout.reference, payout.completed_by) == (
        PayoutStatus.COMPLETED,
        "TRF-0042",
        staff.account.pk,
    )
    assert payable(trabajo.profesional_id) == 0
    [event] = published("payments.payout_completed.v1", "payments")
    assert (event["reference"], event["amount"]) == ("TRF-0042", "8500.00")
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="payout_completed").count() == 1
    assert_ledger_sound()


def test_the_same_release_delivered_twice_or_decided_twice_happens_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    event = completed(trabajo)

    emit(event)
    emit(completed(trabajo))  # the same decision under another event id
    with transaction.atomic(using="payments"):
        escrow.release_on_completed(event)  # and a redelivery straight to the service

    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="release").count() == 1
    assert Payout.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert payable(trabajo.profesional_id) == Decimal("8000.00")


def test_amounts_that_do_not_add_up_move_nothing(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    with pytest.raises(EscrowMismatch):
        escrow.release_on_completed(completed(trabajo, monto_liberado=Decimal("8000.01")))
    with pytest.raises(EscrowMismatch):
        escrow.release_on_completed(
            completed(trabajo, precio_final=Decimal("12000.00"), monto_liberado=Decimal("10000.00"))
        )

    assert trabajo.escrow() == trabajo.price
    assert not Payout.objects.filter(trabajo_id=trabajo.id).exists()


def test_a_release_of_money_that_never_arrived_is_refused(mp_sandbox):
    trabajo = new_checkout()

    with pytest.raises(PaymentNotConfirmed):
        escrow.release_on_completed(completed(trabajo))
    with pytest.raises(EscrowMismatch):
        escrow.release_on_completed(dataclasses.replace(completed(trabajo), trabajo_id=uuid.uuid4()))
    assert not LedgerTransaction.objects.filter(kind="release").exists()


def test_a_dispute_split_refunds_part_and_releases_the_rest_with_commission_on_it_only(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)

    emit(resolved(trabajo, 30))

    assert trabajo.escrow() == 0
    assert payable(trabajo.profesional_id) == Decimal("5600.00")  # 7000 released, 20 % of it to commission
    assert commission_of(trabajo) == Decimal("1400.00")
    assert Payout.objects.get(trabajo_id=trabajo.id).amount == Decimal("5600.00")
    assert ledger.refund_payable_balance(trabajo.id) == Decimal("3000.00")
    assert_ledger_sound()


# --- Money Out --------------------------------------------------------------------------------------------


def released(client, mp_sandbox, **pro_kwargs):
    pro = pro_with_account(client, **pro_kwargs)
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro.session.user_id)
    with transaction.atomic(using="payments"):
        escrow.release_on_completed(completed(trabajo))
    return trabajo, Payout.objects.get(trabajo_id=trabajo.id)


def test_a_money_out_payout_is_one_transfer_keyed_by_the_payout(client, mp_sandbox, money_out):
    trabajo, payout = released(client, mp_sandbox)
    assert payout.status == PayoutStatus.PENDING

    payouts.payout_send(payout.pk)
    payouts.payout_send(payout.pk)  # a duplicate task: nothing left to do

    [sent] = mp_sandbox.requests("/v1/transaction-intents/process", method="POST")
    assert header(sent, "X-Idempotency-Key") == str(payout.pk)
    assert sent["body"]["transaction"]["to"]["accounts"][0]["alias"] == "pedro.gomez.mp"
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert payout.reference == mp_sandbox.transfers()[0]["id"]
    assert payable(trabajo.profesional_id) == 0
    assert len(published("payments.payout_completed.v1", "payments")) == 1
    assert_ledger_sound()


def test_a_transfer_whose_answer_times_out_is_retried_into_one_transfer(client, mp_sandbox, money_out, settings):
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.5
    settings.MERCADOPAGO_MAX_RETRIES = 0  # the adapter gives up at once: our worker's retry is tested
    _, payout = released(client, mp_sandbox)
    mp_sandbox.hang_next("/v1/transaction-intents/process", seconds=3, perform=True)

    payouts.payout_send(payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == (PayoutStatus.PENDING, 1)

    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert len(mp_sandbox.transfers()) == 1
    keys = {header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/v1/transaction-intents/process")}
    assert keys == {str(payout.pk)}


def test_a_transfer_mercadopago_is_still_processing_is_read_back_until_done(client, mp_sandbox, money_out):
    trabajo, payout = released(client, mp_sandbox)
    mp_sandbox.configure(transfer_status="processing")

    payouts.payout_send(payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SENT
    mp_sandbox.set_transfer_status(payout.reference, "approved")
    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert len(mp_sandbox.transfers()) == 1
    assert payable(trabajo.profesional_id) == 0


def test_provider_faults_are_retried_up_to_the_limit_then_the_payout_fails_visibly(
    client, mp_sandbox, money_out, staff
):
    trabajo, payout = released(client, mp_sandbox)
    mp_sandbox.fail_next("/v1/transaction-intents", count=100, status=503)

    for _ in range(3):
        payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == (PayoutStatus.FAILED, 3)
    assert "3 intentos" in payout.last_error
    [failed] = published("payments.payout_failed.v1", "payments")
    assert failed["payout_id"] == str(payout.pk)
    assert PaymentAlert.objects.filter(kind=PaymentAlert.Kind.PAYOUT_FAILED, trabajo_id=trabajo.id).exists()
    assert payable(trabajo.profesional_id) == Decimal("8000.00")  # still owed
    assert str(trabajo.id) in staff.get(PAYOUTS).content.decode()


def test_a_payout_mercadopago_refuses_fails_for_good_and_staff_retry_it(client, mp_sandbox, money_out, service_key):
    trabajo, payout = released(client, mp_sandbox)
    mp_sandbox.fail_next("/v1/transaction-intents/process", count=1, status=400)

    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert payout.attempts == 1  # a 4xx is not retried
    assert "rechazó" in payout.last_error
    retried = client.post(
        "/api/v1/payment/payout", {"trabajo_id": str(trabajo.id)}, content_type=JSON, headers=service_key
    )
    assert retried.status_code == 202, retried.content
    assert retried.json()["status"] == PayoutStatus.PENDING
    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    # MercadoPago refused round 1, so round 2 carries a fresh key; a timeout would have kept it.
    keys = [header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/v1/transaction-intents/process")]
    assert keys == [str(payout.pk), f"{payout.pk}:2"]


def test_a_payout_without_a_payout_account_fails_with_the_reason(client, mp_sandbox, money_out):
    pro = new_professional(client)
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro.session.user_id)
    with transaction.atomic(using="payments"):
        escrow.release_on_completed(completed(trabajo))
    payout = Payout.objects.get(trabajo_id=trabajo.id)

    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "cuenta de cobro" in payout.last_error
    assert mp_sandbox.requests("/v1/transaction-intents") == []


def test_payout_retry_route_is_for_staff_and_failed_payouts_only(client, django_user_model, mp_sandbox, service_key):
    trabajo = paid_trabajo(mp_sandbox)
    emit(completed(trabajo))
    admin = admin_session(client, django_user_model)
    cliente = signed_up(client)

    def retry(headers, trabajo_id=trabajo.id):
        return client.post(
            "/api/v1/payment/payout", {"trabajo_id": str(trabajo_id)}, content_type=JSON, headers=headers
        )

    assert retry({}).status_code == 401
    assert retry({"X-Service-Key": "wrong"}).status_code == 401
    assert retry(cliente.headers).status_code == 403
    assert retry(admin.headers, uuid.uuid4()).status_code == 404
    not_failed = retry(admin.headers)
    assert (not_failed.status_code, not_failed.json()["code"]) == (400, "payout_not_failed")


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.usefixtures("payments_worker")
def test_the_worker_sends_the_payout_after_the_release_commits(client, mp_sandbox, money_out):
    trabajo, payout = released(client, mp_sandbox)

    wait_until(
        lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.COMPLETED,
        timeout=60,
        message="the worker completed the payout",
    )
    assert len(mp_sandbox.transfers()) == 1
    assert payable(trabajo.profesional_id) == 0
    assert_ledger_sound()


def test_a_chargeback_after_release_holds_the_payout_until_staff_unfreeze(client, mp_sandbox, money_out, staff):
    trabajo, payout = released(client, mp_sandbox)
    mp_sandbox.set_status(trabajo.mp_payment_id, "in_mediation", notify=False)
    apply_mercadopago(trabajo.mp_payment_id)

    payouts.payout_send(payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.next_attempt_at) == (PayoutStatus.PENDING, None)
    assert mp_sandbox.requests("/v1/transaction-intents") == []

    payment = Payment.objects.get(trabajo_id=trabajo.id)
    response = staff.post("/admin/payments/payment/", {"action": "unfreeze", "_selected_action": [str(payment.pk)]})
    assert response.status_code == 302
    payouts.payout_send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED


def test_financial_metrics_come_from_the_ledger(client, django_user_model, mp_sandbox):
    first = paid_trabajo(mp_sandbox)
    second = paid_trabajo(mp_sandbox)
    unreleased = paid_trabajo(mp_sandbox)
    emit(completed(first, rate=Decimal("0.20")), resolved(second, 50, rate=Decimal("0.10")))
    deliver_outbox()
    admin = admin_session(client, django_user_model)
    cliente = signed_up(client)

    response = client.get("/api/v1/admin/metrics/financials", headers=admin.headers)

    assert response.status_code == 200
    # first: 10000 released (2000 commission); second: 5000 released (500 commission)
    assert response.json() == {"total_facturado": 15000.0, "comision_total": 2500.0, "trabajos_completados": 2}
    assert unreleased.escrow() == unreleased.price
    assert client.get("/api/v1/admin/metrics/financials", headers=cliente.headers).status_code == 403
    assert client.get("/api/v1/admin/metrics/financials").status_code == 401
