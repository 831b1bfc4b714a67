"""MercadoPago notifications: signature at the door, the payment always re-read from MercadoPago,
idempotent under duplicates and concurrency, any order of statuses."""

import time
import uuid
from decimal import Decimal

import pytest

from conectar.payments.contracts import PaymentStatus
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.mercadopago.signatures import sign_webhook
from conectar.payments.models import LedgerTransaction, PaymentAlert, Refund, WebhookNotification
from conectar.payments.services import escrow, sync, webhooks
from conectar.payments.services.ledger import escrow_balance
from tests.payments.helpers import (
    JSON,
    apply_mercadopago,
    assert_ledger_sound,
    completed,
    new_checkout,
    paid_trabajo,
    payments_worker,  # noqa: F401 - fixture
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.concurrency import run_concurrently
from tests.support.events import published
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__")

SEED_PATH = "/api/v1/payment/webhook/mercadopago"
V1_PATH = "/api/v1/webhook/mercadopago"


def signed_post(client, path, data_id, *, secret, request_id=None, ts=None, body=None, signature=None):
    request_id = request_id or str(uuid.uuid4())
    ts = int(time.time()) if ts is None else ts
    headers = {
        "x-request-id": request_id,
        "x-signature": signature or sign_webhook(data_id=data_id, request_id=request_id, secret=secret, ts=ts),
    }
    body = body if body is not None else {"action": "payment.updated", "type": "payment", "data": {"id": data_id}}
    return client.post(f"{path}?data.id={data_id}&type=payment", body, content_type=JSON, headers=headers)


def confirmations(trabajo) -> list[dict]:
    return [e for e in published("payments.payment_confirmed.v1", "payments") if e["trabajo_id"] == str(trabajo.id)]


# --- at the door ---------------------------------------------------------------------------------------


def test_a_signed_notification_is_stored_once_and_answered_200_on_both_paths(client, mp_sandbox):
    for path in (SEED_PATH, V1_PATH):
        request_id = str(uuid.uuid4())
        first = signed_post(client, path, "123456", secret=mp_sandbox.webhook_secret, request_id=request_id)
        again = signed_post(client, path, "123456", secret=mp_sandbox.webhook_secret, request_id=request_id)

        assert first.status_code == 200, first.content
        assert first.json() == {"received": True, "status": "ok", "message": "Notification received"}
        assert again.status_code == 200
        assert WebhookNotification.objects.filter(request_id=request_id).count() == 1
    assert WebhookNotification.objects.filter(data_id="123456", topic="payment", processed_at=None).count() == 2


def test_forged_or_stale_notifications_are_refused_and_leave_nothing(client, mp_sandbox):
    secret = mp_sandbox.webhook_secret
    forged = signed_post(client, SEED_PATH, "123456", secret="not-the-secret")
    stale = signed_post(client, SEED_PATH, "123456", secret=secret, ts=int(time.time()) - 3600)
    garbage = signed_post(client, SEED_PATH, "123456", secret=secret, signature="ts=1,v1=deadbeef")
    unsigned = client.post(f"{SEED_PATH}?data.id=1&type=payment", {}, content_type=JSON)

    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")
    assert (stale.status_code, stale.json()["code"]) == (401, "stale_webhook")
    assert garbage.status_code == 401
    assert unsigned.status_code == 401
    assert set(forged.json()) == {"detail", "code"}
    assert not WebhookNotification.objects.exists()


def test_on_the_v1_path_refused_notifications_answer_200_with_status_error_and_leave_nothing(client, mp_sandbox):
    """V1-CONTRACT § 3.10 R56: v1 clients expect 200 always; the signature check stays."""
    secret = mp_sandbox.webhook_secret
    forged = signed_post(client, V1_PATH, "123456", secret="not-the-secret")
    stale = signed_post(client, V1_PATH, "123456", secret=secret, ts=int(time.time()) - 3600)
    unsigned = client.post(V1_PATH, {"type": "payment", "data": {"id": "1"}}, content_type=JSON)
    bad_id = signed_post(client, V1_PATH, "no/such id", secret=secret)
    not_json = client.post(V1_PATH, "{nope", content_type=JSON)

    for refused in (forged, stale, unsigned, bad_id, not_json):
        assert refused.status_code == 200, refused.content
        body = refused.json()
        assert body["status"] == "error"
        assert isinstance(body["message"], str)
        assert body["message"]
    assert not WebhookNotification.objects.exists()


def test_another_signed_id_in_the_body_does_not_pass_for_the_signed_one(client, mp_sandbox):
    """The signature covers data.id of the query; a body naming another payment changes nothing."""
    response = signed_post(
        client,
        SEED_PATH,
        "111",
        secret=mp_sandbox.webhook_secret,
        body={"type": "payment", "data": {"id": "999"}},
    )

    assert response.status_code == 200
    assert list(WebhookNotification.objects.values_list("data_id", flat=True)) == ["111"]


def test_notifications_of_other_topics_are_acknowledged_and_dropped(client, mp_sandbox):
    request_id = str(uuid.uuid4())
    ts = int(time.time())
    headers = {
        "x-request-id": request_id,
        "x-signature": sign_webhook(data_id="777", request_id=request_id, secret=mp_sandbox.webhook_secret, ts=ts),
    }
    response = client.post(
        f"{SEED_PATH}?data.id=777&type=merchant_order", {"type": "merchant_order"}, content_type=JSON, headers=headers
    )

    assert response.status_code == 200
    assert response.json()["message"] == "Topic 'merchant_order' ignored"
    assert not WebhookNotification.objects.exists()


# --- the worker's part: re-read and apply --------------------------------------------------------------


def test_an_approved_payment_is_confirmed_once_into_escrow(mp_sandbox):
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo)

    assert apply_mercadopago(mp_id) == "confirmado"
    assert apply_mercadopago(mp_id).startswith("sin cambios")

    payment = trabajo.payment()
    assert payment.status == PaymentStatus.APPROVED
    assert payment.mercadopago_payment_id == mp_id
    assert trabajo.escrow() == trabajo.price
    [event] = confirmations(trabajo)
    assert (event["mercadopago_payment_id"], event["amount"]) == (mp_id, "10000.00")
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="payment_received").count() == 1
    assert_ledger_sound()


def test_the_body_is_never_trusted_the_payment_is_read_from_mercadopago(client, mp_sandbox):
    """A notification naming a payment that MercadoPago has as pending changes nothing, whatever
    the body claims."""
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo, status="pending")
    response = signed_post(
        client,
        SEED_PATH,
        mp_id,
        secret=mp_sandbox.webhook_secret,
        body={"type": "payment", "data": {"id": mp_id}, "status": "approved", "transaction_amount": 10000},
    )
    assert response.status_code == 200

    notification = WebhookNotification.objects.get(data_id=mp_id)
    webhooks.notification_process(notification.pk)

    [get] = mp_sandbox.requests(f"/v1/payments/{mp_id}", method="GET")
    assert get["path"] == f"/v1/payments/{mp_id}"
    assert trabajo.payment().status == PaymentStatus.PENDING
    assert confirmations(trabajo) == []
    assert WebhookNotification.objects.get(pk=notification.pk).processed_at is not None


def test_an_unknown_payment_id_is_logged_and_ignored(client, mp_sandbox):
    response = signed_post(client, SEED_PATH, "4040404040", secret=mp_sandbox.webhook_secret)
    assert response.status_code == 200

    notification = WebhookNotification.objects.get(data_id="4040404040")
    outcome = webhooks.notification_process(notification.pk)

    assert outcome == "ignorado: MercadoPago no conoce ese pago"
    assert WebhookNotification.objects.get(pk=notification.pk).processed_at is not None
    assert not LedgerTransaction.objects.exists()


def test_mercadopago_unreachable_leaves_the_notification_for_a_retry(client, mp_sandbox):
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo)
    signed_post(client, SEED_PATH, mp_id, secret=mp_sandbox.webhook_secret)
    notification = WebhookNotification.objects.get(data_id=mp_id)
    mp_sandbox.fail_next(f"/v1/payments/{mp_id}", count=3, status=502)

    with pytest.raises(mercadopago.PaymentProviderUnavailable):
        webhooks.notification_process(notification.pk)
    assert WebhookNotification.objects.get(pk=notification.pk).processed_at is None

    assert webhooks.notification_process(notification.pk) == "confirmado"
    assert trabajo.payment().status == PaymentStatus.APPROVED


def test_an_approval_for_another_amount_is_flagged_not_confirmed(mp_sandbox):
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo, amount=Decimal("9999.99"))

    outcome = apply_mercadopago(mp_id)

    payment = trabajo.payment()
    assert outcome == "alerta: monto distinto, no confirmado"
    assert payment.amount_mismatch is True
    assert payment.status == PaymentStatus.PENDING
    assert payment.approved_at is None
    assert confirmations(trabajo) == []
    assert trabajo.escrow() == 0
    alert = PaymentAlert.objects.get(kind=PaymentAlert.Kind.AMOUNT_MISMATCH, trabajo_id=trabajo.id)
    assert "9999.99" in alert.detail
    apply_mercadopago(mp_id)
    assert PaymentAlert.objects.filter(trabajo_id=trabajo.id).count() == 1


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_ten_concurrent_applications_of_one_approval_confirm_once(mp_sandbox):
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo)
    reading = mercadopago.get_payment(mp_id)

    outcomes = run_concurrently(lambda: sync.payment_sync(reading), 10)

    assert sorted(o for o in outcomes if not o.startswith("sin cambios")) == ["confirmado"], outcomes
    assert len(confirmations(trabajo)) == 1
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert trabajo.escrow() == trabajo.price
    assert_ledger_sound()


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.usefixtures("payments_worker")
def test_the_same_webhook_delivered_ten_times_concurrently_confirms_once_via_the_worker(mp_sandbox):
    trabajo = new_checkout()
    paid = mp_sandbox.pay(trabajo.checkout.preference_id, wait=True)  # webhook → live server → worker
    mp_id = str(paid["id"])

    mp_sandbox.replay(mp_id, copies=10, wait=True)

    deliveries = mp_sandbox.wait_for_webhooks(payment_id=mp_id, count=11)
    assert {d["response_status"] for d in deliveries} == {200}
    wait_until(
        lambda: (
            WebhookNotification.objects.filter(data_id=mp_id, processed_at=None).count() == 0
            and WebhookNotification.objects.filter(data_id=mp_id).count() == 11
        ),
        timeout=60,
        message="the worker processed every notification",
    )
    assert trabajo.payment().status == PaymentStatus.APPROVED
    assert len(confirmations(trabajo)) == 1
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert trabajo.escrow() == trabajo.price
    assert_ledger_sound()


# --- statuses in any order -----------------------------------------------------------------------------


def test_pending_after_approved_changes_nothing(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mp_sandbox.set_status(trabajo.mp_payment_id, "in_process", notify=False)

    assert apply_mercadopago(trabajo.mp_payment_id).startswith("sin cambios")
    assert trabajo.payment().status == PaymentStatus.APPROVED
    assert trabajo.escrow() == trabajo.price


def test_a_late_rejection_of_an_earlier_card_attempt_changes_nothing(mp_sandbox):
    trabajo = new_checkout()
    rejected_id = sandbox_pay(mp_sandbox, trabajo, status="rejected")
    approved_id = sandbox_pay(mp_sandbox, trabajo, status="approved")

    apply_mercadopago(approved_id)
    apply_mercadopago(rejected_id)  # its notification arrives last

    assert trabajo.payment().status == PaymentStatus.APPROVED
    assert published("payments.payment_failed.v1", "payments") == []
    assert len(confirmations(trabajo)) == 1


def test_a_rejection_is_published_once_and_the_trabajo_stays_payable(mp_sandbox):
    trabajo = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, trabajo, status="rejected")

    apply_mercadopago(mp_id)
    apply_mercadopago(mp_id)

    [failed] = published("payments.payment_failed.v1", "payments")
    # MercadoPago's cc_rejected_other_reason, in the domain's words; its code stays in payments
    assert (failed["status"], failed["reason"], failed["status_detail"]) == ("rejected", "other", "")
    assert trabajo.payment().status == PaymentStatus.REJECTED
    assert_ledger_sound()


def test_an_approval_arriving_after_the_refund_does_not_confirm_again(mp_sandbox):
    """MercadoPago refunded the payment itself; then the old `approved` notification is delivered
    again: the re-read says refunded, and nothing is confirmed or posted twice."""
    trabajo = paid_trabajo(mp_sandbox)
    mp_sandbox.set_status(trabajo.mp_payment_id, "refunded", notify=False)
    apply_mercadopago(trabajo.mp_payment_id)

    apply_mercadopago(trabajo.mp_payment_id)

    assert trabajo.payment().status == PaymentStatus.REFUNDED
    assert len(confirmations(trabajo)) == 1
    assert trabajo.escrow() == 0
    [refunded] = published("payments.refunded.v1", "payments")
    assert (refunded["initiated_by"], refunded["amount"], refunded["remaining_escrow"]) == (
        "provider",
        "10000.00",
        "0.00",
    )
    assert Refund.objects.filter(trabajo_id=trabajo.id, initiated_by="provider").count() == 1
    assert_ledger_sound()


def test_a_partial_refund_made_in_mercadopago_is_booked_for_the_difference(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mercadopago.refund_payment(
        payment_id=trabajo.mp_payment_id, amount=Decimal("2500.00"), idempotency_key="panel-refund-1"
    )

    apply_mercadopago(trabajo.mp_payment_id)
    apply_mercadopago(trabajo.mp_payment_id)

    assert trabajo.escrow() == Decimal("7500.00")
    assert trabajo.payment().status == PaymentStatus.APPROVED
    [refunded] = published("payments.refunded.v1", "payments")
    assert (refunded["amount"], refunded["remaining_escrow"]) == ("2500.00", "7500.00")
    assert_ledger_sound()


def test_a_chargeback_freezes_the_money_and_release_is_refused(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mp_sandbox.set_status(trabajo.mp_payment_id, "charged_back", notify=False)

    apply_mercadopago(trabajo.mp_payment_id)
    apply_mercadopago(trabajo.mp_payment_id)

    payment = trabajo.payment()
    assert (payment.status, payment.frozen) == (PaymentStatus.CHARGED_BACK, True)
    [opened] = published("payments.chargeback_opened.v1", "payments")
    assert (opened["status"], opened["mercadopago_payment_id"]) == ("charged_back", trabajo.mp_payment_id)
    assert PaymentAlert.objects.filter(kind=PaymentAlert.Kind.CHARGEBACK, trabajo_id=trabajo.id).count() == 1
    with pytest.raises(Exception) as refused:
        escrow.release_on_completed(completed(trabajo))
    assert refused.value.code == "payment_frozen"
    assert escrow_balance(trabajo.id) == trabajo.price


def test_a_mediation_is_reported_too(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mp_sandbox.set_status(trabajo.mp_payment_id, "in_mediation", notify=False)

    apply_mercadopago(trabajo.mp_payment_id)

    assert trabajo.payment().status == PaymentStatus.IN_MEDIATION
    assert trabajo.payment().frozen is True
    [opened] = published("payments.chargeback_opened.v1", "payments")
    assert opened["status"] == "in_mediation"
