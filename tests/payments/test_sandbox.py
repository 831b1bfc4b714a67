"""The local MercadoPago sandbox: checkout page, signed webhooks, controls, and that it runs alone."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from conectar.devtools.sandbox import SandboxError
from conectar.payments.mercadopago import client as mp
from conectar.payments.mercadopago.signatures import StaleWebhook, verify_webhook
from tests.support.mp_sandbox import WEBHOOK_SECRET
from tests.support.network import unused_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
BACK_URLS = {
    "success": "http://127.0.0.1:3000/pago/exito",
    "failure": "http://127.0.0.1:3000/pago/error",
    "pending": "http://127.0.0.1:3000/pago/pendiente",
}


def preference(notification_url: str, amount=Decimal("15000.50"), *, reference=None, expires_at=None):
    return mp.create_preference(
        idempotency_key=str(uuid.uuid4()),
        external_reference=reference or str(uuid.uuid4()),
        title="Arreglo de cañería",
        amount=amount,
        payer_email="cliente@example.com",
        notification_url=notification_url,
        back_urls=BACK_URLS,
        expires_at=expires_at or datetime.now(UTC) + timedelta(hours=24),
        statement_descriptor="CONECTAR",
    )


def assert_signed(webhook):
    """What our webhook endpoint will do: check the signature with the configured secret."""
    verify_webhook(
        x_signature=webhook.headers.get("x-signature"),
        x_request_id=webhook.headers.get("x-request-id"),
        data_id=webhook.query.get("data.id"),
        secret=WEBHOOK_SECRET,
        tolerance_seconds=300,
    )


# --- the checkout page, as a person uses it -------------------------------------------------------------


def test_paying_on_the_checkout_page_sends_a_signed_webhook_and_returns_the_payer(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url, Decimal("15000.50"), reference="trabajo-42")

    page = requests.get(pref.init_point, timeout=5)
    assert page.status_code == 200
    assert "Arreglo de cañería" in page.text
    assert "$ 15.000,50" in page.text
    assert "Aprobar" in page.text
    assert "Rechazar" in page.text

    answer = requests.post(
        f"{mp_sandbox.url}/checkout/v1/redirect",
        data={"pref_id": pref.id, "decision": "approved"},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == BACK_URLS["success"]
    params = dict(parse_qsl(location.query))
    assert params["status"] == "approved"
    assert params["external_reference"] == "trabajo-42"
    assert params["preference_id"] == pref.id
    payment_id = params["payment_id"]

    [webhook] = mp_webhook_receiver.wait_for(1)
    assert webhook.path == "/webhook/mercadopago"
    assert webhook.query == {"data.id": payment_id, "type": "payment"}
    assert webhook.body["action"] == "payment.created"
    assert webhook.body["type"] == "payment"
    assert webhook.body["api_version"] == "v1"
    assert webhook.body["data"] == {"id": payment_id}
    assert webhook.body["live_mode"] is False
    assert {"id", "date_created", "user_id"} <= webhook.body.keys()
    assert_signed(webhook)

    payment = mp.get_payment(payment_id)
    assert (payment.status, payment.transaction_amount, payment.external_reference) == (
        "approved",
        Decimal("15000.50"),
        "trabajo-42",
    )
    [delivery] = mp_sandbox.wait_for_webhooks(payment_id=payment_id)
    assert (delivery["state"], delivery["response_status"]) == ("delivered", 200)


def test_rejecting_on_the_checkout_page_returns_to_the_failure_url(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    answer = requests.post(
        f"{mp_sandbox.url}/checkout/v1/redirect",
        data={"pref_id": pref.id, "decision": "rejected"},
        allow_redirects=False,
        timeout=5,
    )
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/pago/error"
    payment_id = dict(parse_qsl(location.query))["payment_id"]
    assert mp.get_payment(payment_id).status == "rejected"
    assert_signed(mp_webhook_receiver.wait_for(1)[0])


def test_an_expired_preference_cannot_be_paid(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    page = requests.get(pref.init_point, timeout=5)
    assert "venció" in page.text
    assert "Aprobar" not in page.text
    answer = requests.post(
        f"{mp_sandbox.url}/checkout/v1/redirect", data={"pref_id": pref.id, "decision": "approved"}, timeout=5
    )
    assert answer.status_code == 400
    assert mp_sandbox.payments() == []
    paid = mp_sandbox.pay(pref.id, ignore_expiry=True, notify=False)  # a late payment, planted on purpose
    assert paid["status"] == "approved"


def test_an_unknown_preference_page_is_404(mp_sandbox):
    assert requests.get(f"{mp_sandbox.url}/checkout/v1/redirect?pref_id=nope", timeout=5).status_code == 404


# --- controls -----------------------------------------------------------------------------------------


def test_pay_can_plant_an_amount_mismatch_and_stay_silent(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url, Decimal("1000.00"))
    paid = mp_sandbox.pay(pref.id, amount=Decimal("10.00"), notify=False)
    assert mp.get_payment(str(paid["id"])).transaction_amount == Decimal("10.00")
    assert mp_sandbox.webhooks() == []
    assert mp_webhook_receiver.received == []


def test_pay_with_a_status(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    paid = mp_sandbox.pay(pref.id, status="in_process")
    assert mp.get_payment(str(paid["id"])).status == "in_process"
    assert mp_webhook_receiver.wait_for(1)[0].body["action"] == "payment.created"
    with pytest.raises(SandboxError) as caught:
        mp_sandbox.pay(pref.id, status="bogus")
    assert caught.value.status == 400
    with pytest.raises(SandboxError) as caught:
        mp_sandbox.pay("missing-preference")
    assert caught.value.status == 404


def test_a_chargeback_is_notified(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    payment_id = str(mp_sandbox.pay(pref.id)["id"])

    mp_sandbox.set_status(payment_id, "charged_back")

    created, updated = mp_webhook_receiver.wait_for(2)
    assert (created.body["action"], updated.body["action"]) == ("payment.created", "payment.updated")
    assert updated.query["data.id"] == payment_id
    assert_signed(updated)
    assert mp.get_payment(payment_id).status == "charged_back"


def test_a_refund_made_in_mercadopago_itself_shows_in_the_payment(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url, Decimal("500.00"))
    payment_id = str(mp_sandbox.pay(pref.id, notify=False)["id"])
    mp_sandbox.set_status(payment_id, "refunded")
    payment = mp.get_payment(payment_id)
    assert (payment.status, payment.transaction_amount_refunded) == ("refunded", Decimal("500.00"))
    assert len(mp_sandbox.refunds(payment_id)) == 1
    assert mp_webhook_receiver.wait_for(1)[0].body["action"] == "payment.updated"


def test_an_api_refund_notifies_payment_updated(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url, Decimal("500.00"))
    payment_id = str(mp_sandbox.pay(pref.id, notify=False)["id"])
    mp.refund_payment(payment_id=payment_id, amount=Decimal("100.00"), idempotency_key="r-1")
    [webhook] = mp_webhook_receiver.wait_for(1)
    assert webhook.body["action"] == "payment.updated"
    assert_signed(webhook)


def test_replay_sends_the_same_notification_again_freshly_signed(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    payment_id = str(mp_sandbox.pay(pref.id)["id"])

    mp_sandbox.replay(payment_id, copies=3)

    original, *copies = mp_webhook_receiver.wait_for(4)
    assert len(copies) == 3
    assert all(copy.body == original.body for copy in copies)  # the same notification (same id)
    assert len({w.headers["x-request-id"] for w in [original, *copies]}) == 4
    for webhook in [original, *copies]:
        assert_signed(webhook)


def test_captured_webhooks_are_released_in_the_order_asked(mp_sandbox, mp_webhook_receiver):
    mp_sandbox.capture_webhooks()
    pref = preference(mp_webhook_receiver.url)
    payment_id = str(mp_sandbox.pay(pref.id, wait=False)["id"])
    mp_sandbox.set_status(payment_id, "refunded", wait=False)
    held = mp_sandbox.webhooks(payment_id)
    assert [w["state"] for w in held] == ["captured", "captured"]
    assert mp_webhook_receiver.received == []

    mp_sandbox.release(reverse=True)  # the update overtakes the creation

    first, second = mp_webhook_receiver.wait_for(2)
    assert (first.body["action"], second.body["action"]) == ("payment.updated", "payment.created")
    assert_signed(first)


def test_webhooks_are_sent_in_the_given_order(mp_sandbox, mp_webhook_receiver):
    pref_a = preference(mp_webhook_receiver.url)
    pref_b = preference(mp_webhook_receiver.url)
    a = str(mp_sandbox.pay(pref_a.id, notify=False)["id"])
    b = str(mp_sandbox.pay(pref_b.id, notify=False)["id"])

    mp_sandbox.send_webhooks([{"payment_id": b}, {"payment_id": a}, {"payment_id": b, "action": "payment.created"}])

    received = mp_webhook_receiver.wait_for(3)
    assert [(w.query["data.id"], w.body["action"]) for w in received] == [
        (b, "payment.updated"),
        (a, "payment.updated"),
        (b, "payment.created"),
    ]


@pytest.mark.parametrize("answer", [500, 302])
def test_the_answer_of_our_server_is_recorded(mp_sandbox, mp_webhook_receiver, answer):
    mp_webhook_receiver.respond_with(answer)
    pref = preference(mp_webhook_receiver.url)
    payment_id = str(mp_sandbox.pay(pref.id)["id"])
    [delivery] = mp_sandbox.webhooks(payment_id)  # pay() waited for the delivery
    assert (delivery["state"], delivery["response_status"]) == ("failed", answer)
    assert len(mp_webhook_receiver.received) == 1  # a redirect is not followed


def test_an_unreachable_webhook_target_is_recorded_as_failed(mp_sandbox):
    pref = preference("http://127.0.0.1:9/webhook")
    payment_id = str(mp_sandbox.pay(pref.id)["id"])
    [delivery] = mp_sandbox.webhooks(payment_id)
    assert delivery["state"] == "failed"
    assert delivery["response_status"] is None
    assert delivery["error"]


def test_the_panel_notification_url_is_used_when_the_preference_has_none(mp_sandbox, mp_webhook_receiver):
    mp_sandbox.configure(notification_url=mp_webhook_receiver.url)
    pref = preference("")
    assert "notification_url" not in mp_sandbox.requests("/checkout/preferences")[0]["body"]
    mp_sandbox.pay(pref.id)
    assert_signed(mp_webhook_receiver.wait_for(1)[0])


def test_timestamps_in_milliseconds_verify_too(mp_sandbox, mp_webhook_receiver):
    mp_sandbox.configure(webhook_ts_unit="ms")
    pref = preference(mp_webhook_receiver.url)
    mp_sandbox.pay(pref.id)
    [webhook] = mp_webhook_receiver.wait_for(1)
    ts = dict(part.split("=", 1) for part in webhook.headers["x-signature"].split(","))["ts"]
    assert len(ts) == 13
    assert_signed(webhook)


def test_a_webhook_replayed_long_after_would_be_stale_for_a_strict_window(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    mp_sandbox.pay(pref.id)
    [webhook] = mp_webhook_receiver.wait_for(1)
    with pytest.raises(StaleWebhook):
        verify_webhook(
            x_signature=webhook.headers["x-signature"],
            x_request_id=webhook.headers["x-request-id"],
            data_id=webhook.query["data.id"],
            secret=WEBHOOK_SECRET,
            now=datetime.now(UTC) + timedelta(minutes=10),
            tolerance_seconds=300,
        )


def test_the_api_needs_a_bearer_token_and_requests_are_recorded(mp_sandbox):
    answer = requests.get(f"{mp_sandbox.url}/v1/payments/123", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    answer = requests.get(f"{mp_sandbox.url}/v1/payments/123", headers={"Authorization": "Bearer x"}, timeout=5)
    assert answer.status_code == 404
    recorded = mp_sandbox.requests("/v1/payments/123")
    assert [r["method"] for r in recorded] == ["GET", "GET"]


def test_a_search_with_a_bad_date_is_400(mp_sandbox):
    answer = requests.get(
        f"{mp_sandbox.url}/v1/payments/search",
        params={"begin_date": "ayer", "range": "date_created"},
        headers={"Authorization": "Bearer x"},
        timeout=5,
    )
    assert answer.status_code == 400


def test_reset_forgets_everything(mp_sandbox, mp_webhook_receiver):
    pref = preference(mp_webhook_receiver.url)
    mp_sandbox.pay(pref.id, notify=False)
    mp_sandbox.fail_next("/v1/", count=5)
    mp_sandbox.reset()
    state = mp_sandbox.state()
    assert (state["preferences"], state["payments"], state["faults"], state["requests"]) == ([], [], [], 0)


# --- it runs on its own ---------------------------------------------------------------------------------


def test_the_sandbox_runs_as_a_command_without_django_settings():
    """`make run` starts it as a command; any use of Django settings would fail on this bogus module."""
    port = unused_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "no_such_settings_module"}
    process = subprocess.Popen(
        [sys.executable, "-m", "conectar.devtools.sandbox", "--port", str(port), "--webhook-secret", "s"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy():
            try:
                return requests.get(f"{base}/__sandbox/health", timeout=1).json()
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode()
                return None

        assert wait_until(healthy, timeout=15, message="sandbox up")["ok"] is True
        created = requests.post(
            f"{base}/checkout/preferences",
            json={"items": [{"title": "Trabajo", "quantity": 1, "unit_price": 100}], "external_reference": "x"},
            headers={"Authorization": "Bearer TEST-token"},
            timeout=5,
        )
        assert created.status_code == 201
        assert requests.get(created.json()["init_point"], timeout=5).status_code == 200
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
