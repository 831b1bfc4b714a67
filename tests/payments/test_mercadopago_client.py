"""The MercadoPago adapter, with the official SDK doing real HTTP against the local sandbox."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from conectar.payments.contracts import PaymentFailureReason, PaymentProviderUnavailable
from conectar.payments.mercadopago import client as mp
from conectar.payments.mercadopago.reasons import failure_reason
from conectar.platform import breakers
from tests.support.mp_sandbox import header
from tests.support.waiting import wait_until

NOTIFY_URL = "http://127.0.0.1:9/api/v1/payment/webhook/mercadopago"  # not called: payments use notify=False
CBU = "0110599520000001234567"


def new_preference(amount=Decimal("15000.50"), *, reference=None, key=None, **overrides):
    arguments = {
        "idempotency_key": key or f"pref-{uuid.uuid4()}",
        "external_reference": reference or str(uuid.uuid4()),
        "title": "Trabajo: arreglo de cañería",
        "amount": amount,
        "payer_email": "cliente@example.com",
        "notification_url": NOTIFY_URL,
        "back_urls": {
            "success": "http://127.0.0.1:3000/pago/exito",
            "failure": "http://127.0.0.1:3000/pago/error",
            "pending": "http://127.0.0.1:3000/pago/pendiente",
        },
        "expires_at": datetime.now(UTC) + timedelta(hours=24),
        "statement_descriptor": "CONECTAR",
    }
    arguments.update(overrides)
    return mp.create_preference(**arguments)


def paid_payment(mp_sandbox, amount=Decimal("15000.50"), *, reference=None) -> str:
    preference = new_preference(amount, reference=reference)
    return str(mp_sandbox.pay(preference.id, notify=False, wait=False)["id"])


# --- base URL, body, idempotency key on the wire ----------------------------------------------------------


def test_a_preference_is_created_through_the_sdk_at_our_base_url(mp_sandbox):
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    preference = new_preference(Decimal("15000.50"), reference="ref-1", expires_at=expires)

    assert preference.id
    assert preference.init_point == f"{mp_sandbox.url}/checkout/v1/redirect?pref_id={preference.id}"
    assert preference.sandbox_init_point == preference.init_point
    [sent] = mp_sandbox.requests("/checkout/preferences")
    assert sent["method"] == "POST"
    assert header(sent, "Authorization") == f"Bearer {mp_sandbox.access_token}"
    assert header(sent, "User-Agent").startswith("MercadoPago Python SDK")  # the SDK made this request
    body = sent["body"]
    assert body["items"] == [
        {
            "id": "ref-1",
            "title": "Trabajo: arreglo de cañería",
            "quantity": 1,
            "unit_price": Decimal("15000.5"),
            "currency_id": "ARS",
        }
    ]
    assert body["payer"] == {"email": "cliente@example.com"}
    assert body["external_reference"] == "ref-1"
    assert body["back_urls"]["success"] == "http://127.0.0.1:3000/pago/exito"
    assert body["auto_return"] == "approved"
    assert body["notification_url"] == NOTIFY_URL
    assert body["statement_descriptor"] == "CONECTAR"
    assert body["expires"] is True
    assert body["expiration_date_to"] == "2030-01-02T03:04:05.000+00:00"
    assert body["binary_mode"] is False


def test_our_idempotency_key_is_the_one_on_the_wire_not_the_sdks_random_one(mp_sandbox):
    first = new_preference(key="pref-key-42")
    again = new_preference(key="pref-key-42")

    sent = mp_sandbox.requests("/checkout/preferences")
    assert [header(r, "X-Idempotency-Key") for r in sent] == ["pref-key-42", "pref-key-42"]
    assert all(sum(1 for k in r["headers"] if k.lower() == "x-idempotency-key") == 1 for r in sent)
    assert again.id == first.id  # MercadoPago answers the same preference for the same key


def test_amounts_travel_as_exact_numbers_and_come_back_as_decimals(mp_sandbox):
    payment_id = paid_payment(mp_sandbox, Decimal("1234567.89"))
    payment = mp.get_payment(payment_id)
    assert payment.transaction_amount == Decimal("1234567.89")
    assert mp_sandbox.requests("/checkout/preferences")[0]["body"]["items"][0]["unit_price"] == Decimal("1234567.89")


def test_amounts_with_fractions_of_a_cent_are_refused_before_calling(mp_sandbox):
    with pytest.raises(ValueError, match="2 decimals"):
        new_preference(Decimal("10.005"))
    assert mp_sandbox.requests() == []


# --- payments ---------------------------------------------------------------------------------------------


def test_get_payment_reads_what_mercadopago_says(mp_sandbox):
    preference = new_preference(Decimal("2500.00"), reference="trabajo-7")
    created = mp_sandbox.pay(preference.id, notify=False, wait=False)

    payment = mp.get_payment(str(created["id"]))

    assert payment.id == str(created["id"])
    assert payment.status == "approved"
    assert payment.status_detail == "accredited"
    assert payment.external_reference == "trabajo-7"
    assert payment.transaction_amount == Decimal("2500.00")
    assert payment.transaction_amount_refunded == Decimal("0.00")
    assert payment.currency_id == "ARS"
    assert payment.payer_email == "cliente@example.com"
    assert payment.preference_id == preference.id
    assert payment.date_created is not None
    assert payment.date_created.tzinfo is not None
    assert payment.date_approved is not None
    assert payment.date_last_updated is not None


def test_an_unknown_payment_is_none_and_not_a_failure(mp_sandbox):
    cb = breakers.breaker(mp.BREAKER_NAME)
    assert mp.get_payment("1") is None
    assert cb.fail_counter == 0
    assert mp.breaker_state() == "closed"


def test_search_pages_through_the_results(mp_sandbox):
    mine = [paid_payment(mp_sandbox, Decimal("100.00"), reference="ref-A") for _ in range(5)]
    others = [paid_payment(mp_sandbox, Decimal("100.00"), reference="ref-B") for _ in range(2)]
    begin = datetime.now(UTC) - timedelta(hours=1)
    end = datetime.now(UTC) + timedelta(hours=1)

    found = list(mp.search_payments(begin=begin, end=end, external_reference="ref-A", page_size=2))

    assert [p.id for p in found] == mine  # oldest first, each once
    pages = mp_sandbox.requests("/v1/payments/search")
    offsets = [dict(pair.split("=", 1) for pair in r["query"].split("&"))["offset"] for r in pages]
    assert offsets == ["0", "2", "4"]
    everything = list(mp.search_payments(begin=begin, end=end, page_size=3))
    assert sorted(p.id for p in everything) == sorted(mine + others)
    assert list(mp.search_payments(begin=end, end=end + timedelta(hours=1))) == []


# --- refunds ------------------------------------------------------------------------------------------


def test_partial_then_full_refund(mp_sandbox):
    payment_id = paid_payment(mp_sandbox, Decimal("1000.00"))

    partial = mp.refund_payment(payment_id=payment_id, amount=Decimal("300.00"), idempotency_key="refund-1")
    rest = mp.refund_payment(payment_id=payment_id, amount=None, idempotency_key="refund-2")

    assert (partial.payment_id, partial.amount, partial.status) == (payment_id, Decimal("300.00"), "approved")
    assert rest.amount == Decimal("700.00")
    payment = mp.get_payment(payment_id)
    assert payment.status == "refunded"
    assert payment.transaction_amount_refunded == Decimal("1000.00")
    sent = mp_sandbox.requests(f"/v1/payments/{payment_id}/refunds")
    assert [header(r, "X-Idempotency-Key") for r in sent] == ["refund-1", "refund-2"]
    assert sent[0]["body"] == {"amount": Decimal("300.0")}
    assert sent[1]["body"] is None  # a full refund sends no amount


def test_the_same_refund_key_never_refunds_twice(mp_sandbox):
    payment_id = paid_payment(mp_sandbox, Decimal("1000.00"))
    first = mp.refund_payment(payment_id=payment_id, amount=Decimal("100.00"), idempotency_key="refund-x")
    second = mp.refund_payment(payment_id=payment_id, amount=Decimal("100.00"), idempotency_key="refund-x")
    assert first == second
    assert len(mp_sandbox.refunds(payment_id)) == 1


def test_a_refund_whose_answer_times_out_is_retried_with_the_same_key_and_happens_once(mp_sandbox, settings):
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.5
    payment_id = paid_payment(mp_sandbox, Decimal("1000.00"))
    path = f"/v1/payments/{payment_id}/refunds"
    mp_sandbox.hang_next(path, seconds=5, perform=True)  # the refund is made, its answer is lost

    refund = mp.refund_payment(payment_id=payment_id, amount=None, idempotency_key="refund-timeout")

    assert refund.amount == Decimal("1000.00")
    attempts = mp_sandbox.requests(path)
    assert len(attempts) == 2
    assert {header(r, "X-Idempotency-Key") for r in attempts} == {"refund-timeout"}
    [held] = mp_sandbox.refunds(payment_id)
    assert str(held["id"]) == refund.id


def test_refunding_more_than_remains_is_rejected_and_not_retried(mp_sandbox):
    payment_id = paid_payment(mp_sandbox, Decimal("1000.00"))
    with pytest.raises(mp.MercadoPagoRejected) as caught:
        mp.refund_payment(payment_id=payment_id, amount=Decimal("1000.01"), idempotency_key="too-much")
    assert caught.value.code == "payment_provider_rejected"
    assert caught.value.provider_status == 400
    assert caught.value.provider_body["error"] == "amount_exceeds_available"
    assert len(mp_sandbox.requests(f"/v1/payments/{payment_id}/refunds")) == 1
    assert mp_sandbox.refunds(payment_id) == []


# --- faults: 5xx, timeouts, breaker -------------------------------------------------------------------


def test_a_5xx_is_retried_and_a_later_success_is_returned(mp_sandbox):
    payment_id = paid_payment(mp_sandbox)
    mp_sandbox.fail_next(f"/v1/payments/{payment_id}", count=2, status=503)

    assert mp.get_payment(payment_id).id == payment_id
    assert len(mp_sandbox.requests(f"/v1/payments/{payment_id}")) == 3


def test_repeated_5xx_is_provider_unavailable(mp_sandbox, settings):
    settings.MERCADOPAGO_MAX_RETRIES = 2
    payment_id = paid_payment(mp_sandbox)
    mp_sandbox.fail_next(f"/v1/payments/{payment_id}", count=3, status=500)

    with pytest.raises(PaymentProviderUnavailable) as caught:
        mp.get_payment(payment_id)
    assert caught.value.status == 503
    assert len(mp_sandbox.requests(f"/v1/payments/{payment_id}")) == 3  # one try and two retries


def test_a_timeout_is_provider_unavailable(mp_sandbox, settings):
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.3
    settings.MERCADOPAGO_MAX_RETRIES = 0
    mp_sandbox.hang_next("/checkout/preferences", seconds=5)
    with pytest.raises(PaymentProviderUnavailable):
        new_preference()


def test_a_refused_connection_is_provider_unavailable(mp_sandbox, settings):
    settings.MERCADOPAGO_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.MERCADOPAGO_MAX_RETRIES = 0
    with pytest.raises(PaymentProviderUnavailable):
        mp.get_payment("123")


def test_a_wrong_token_is_rejected(mp_sandbox, settings):
    settings.MERCADOPAGO_ACCESS_TOKEN = " "
    with pytest.raises(mp.MercadoPagoRejected) as caught:
        mp.get_payment("123")
    assert caught.value.provider_status == 401


def test_no_token_configured_is_unavailable_without_calling(mp_sandbox, settings):
    settings.MERCADOPAGO_ACCESS_TOKEN = ""
    with pytest.raises(PaymentProviderUnavailable):
        mp.get_payment("123")
    assert mp_sandbox.requests() == []


def test_the_breaker_opens_after_repeated_faults_fails_fast_and_closes_after_reset(mp_sandbox, settings):
    settings.MERCADOPAGO_MAX_RETRIES = 0
    payment_id = paid_payment(mp_sandbox)
    fail_max = breakers.breaker(mp.BREAKER_NAME).fail_max
    mp_sandbox.fail_next("/v1/payments/", count=fail_max, status=500)

    for _ in range(fail_max):
        with pytest.raises(PaymentProviderUnavailable):
            mp.get_payment(payment_id)
    assert mp.breaker_state() == "open"
    sent = len(mp_sandbox.requests("/v1/payments/"))
    assert sent == fail_max

    with pytest.raises(PaymentProviderUnavailable):  # fails fast: nothing reaches MercadoPago
        mp.get_payment(payment_id)
    assert len(mp_sandbox.requests("/v1/payments/")) == sent

    mp.reset_breaker()
    assert mp.breaker_state() == "closed"
    assert mp.get_payment(payment_id).id == payment_id


def test_rejections_do_not_open_the_breaker(mp_sandbox):
    payment_id = paid_payment(mp_sandbox, Decimal("10.00"))
    for _ in range(breakers.breaker(mp.BREAKER_NAME).fail_max + 1):
        with pytest.raises(mp.MercadoPagoRejected):
            mp.refund_payment(payment_id=payment_id, amount=Decimal("11.00"), idempotency_key=str(uuid.uuid4()))
    assert mp.breaker_state() == "closed"


def test_a_success_resets_the_failure_count(mp_sandbox, settings):
    settings.MERCADOPAGO_MAX_RETRIES = 0
    payment_id = paid_payment(mp_sandbox)
    cb = breakers.breaker(mp.BREAKER_NAME)
    mp_sandbox.fail_next(f"/v1/payments/{payment_id}", count=cb.fail_max - 1)
    for _ in range(cb.fail_max - 1):
        with pytest.raises(PaymentProviderUnavailable):
            mp.get_payment(payment_id)
    assert mp.get_payment(payment_id) is not None
    assert cb.fail_counter == 0
    assert mp.breaker_state() == "closed"


# --- Money Out ------------------------------------------------------------------------------------------


def test_a_transfer_intent_is_created_once_per_key(mp_sandbox):
    first = mp.create_transfer(
        idempotency_key="payout-1",
        amount=Decimal("8500.00"),
        destination_account=CBU,
        description="Pago trabajo 7",
        external_reference="payout-ref-1",
    )
    again = mp.create_transfer(
        idempotency_key="payout-1",
        amount=Decimal("8500.00"),
        destination_account=CBU,
        description="Pago trabajo 7",
        external_reference="payout-ref-1",
    )

    assert first == again
    assert (first.status, first.external_reference) == ("approved", "payout-ref-1")
    assert len(mp_sandbox.transfers()) == 1
    [sent, _] = mp_sandbox.requests("/v1/transaction-intents/process")
    assert header(sent, "X-Idempotency-Key") == "payout-1"
    assert header(sent, "Authorization") == f"Bearer {mp_sandbox.access_token}"
    transaction = sent["body"]["transaction"]
    assert transaction["to"]["accounts"][0]["number"] == CBU
    assert transaction["total_amount"] == Decimal("8500.0")
    assert mp.get_transfer(first.id) == first


def test_a_transfer_to_an_alias_is_accepted(mp_sandbox):
    intent = mp.create_transfer(
        idempotency_key="payout-alias",
        amount=Decimal("10.00"),
        destination_account="juan.perez.mp",
        description="Pago",
        external_reference="payout-alias",
    )
    assert intent.status == "approved"


def test_a_transfer_to_an_invalid_account_is_rejected(mp_sandbox):
    with pytest.raises(mp.MercadoPagoRejected) as caught:
        mp.create_transfer(
            idempotency_key="payout-bad",
            amount=Decimal("10.00"),
            destination_account="12345",
            description="Pago",
            external_reference="payout-bad",
        )
    assert caught.value.provider_status == 400
    assert caught.value.provider_body["error"] == "invalid_account"
    assert mp_sandbox.transfers() == []


def test_a_transfer_status_is_read_back(mp_sandbox):
    intent = mp.create_transfer(
        idempotency_key="payout-2",
        amount=Decimal("10.00"),
        destination_account=CBU,
        description="Pago",
        external_reference="payout-2",
    )
    mp_sandbox.set_transfer_status(intent.id, "rejected")
    assert mp.get_transfer(intent.id).status == "rejected"
    assert mp.get_transfer(str(uuid.uuid4())) is None


def test_a_transfer_whose_answer_is_lost_is_retried_and_made_once(mp_sandbox, settings):
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.5
    mp_sandbox.hang_next("/v1/transaction-intents/process", seconds=5, perform=True)
    intent = mp.create_transfer(
        idempotency_key="payout-3",
        amount=Decimal("10.00"),
        destination_account=CBU,
        description="Pago",
        external_reference="payout-3",
    )
    assert [t["id"] for t in mp_sandbox.transfers()] == [intent.id]
    assert len(mp_sandbox.requests("/v1/transaction-intents/process")) == 2


def test_a_slow_call_does_not_hold_up_the_others(mp_sandbox, settings):
    """pybreaker holds its lock during `breaker.call`; the adapter must not make calls queue behind it."""
    settings.MERCADOPAGO_MAX_RETRIES = 0
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 5.0
    slow_id = paid_payment(mp_sandbox)
    fast_id = paid_payment(mp_sandbox)
    mp_sandbox.hang_next(f"/v1/payments/{slow_id}", seconds=30)
    outcome = {}

    def slow_call():
        try:
            mp.get_payment(slow_id)
        except PaymentProviderUnavailable as exc:
            outcome["slow"] = exc

    slow = threading.Thread(target=slow_call)
    slow.start()
    wait_until(lambda: mp_sandbox.requests(f"/v1/payments/{slow_id}"), timeout=5, message="slow call in flight")

    assert mp.get_payment(fast_id).id == fast_id
    assert slow.is_alive()  # the fast call finished while the slow one was still waiting

    mp_sandbox.reset()  # releases the held request: it answers 504
    slow.join(timeout=10)
    assert isinstance(outcome["slow"], PaymentProviderUnavailable)


def test_after_the_reset_timeout_one_trial_call_closes_or_reopens_the_circuit(mp_sandbox, settings):
    settings.MERCADOPAGO_MAX_RETRIES = 0
    payment_id = paid_payment(mp_sandbox)
    cb = breakers.breaker(mp.BREAKER_NAME)
    original_timeout = cb.reset_timeout
    mp_sandbox.fail_next("/v1/payments/", count=cb.fail_max + 1, status=500)
    try:
        for _ in range(cb.fail_max):
            with pytest.raises(PaymentProviderUnavailable):
                mp.get_payment(payment_id)
        assert mp.breaker_state() == "open"
        cb.reset_timeout = 0.05
        time.sleep(0.1)

        with pytest.raises(PaymentProviderUnavailable):  # the trial reaches MercadoPago and fails
            mp.get_payment(payment_id)
        assert len(mp_sandbox.requests("/v1/payments/")) == cb.fail_max + 1
        assert mp.breaker_state() == "open"

        time.sleep(0.1)
        assert mp.get_payment(payment_id).id == payment_id  # this trial succeeds
        assert mp.breaker_state() == "closed"
    finally:
        cb.reset_timeout = original_timeout


@pytest.mark.parametrize(
    ("status", "status_detail", "reason"),
    [
        ("rejected", "cc_rejected_insufficient_amount", PaymentFailureReason.INSUFFICIENT_FUNDS),
        ("rejected", "cc_rejected_call_for_authorize", PaymentFailureReason.NEEDS_AUTHORIZATION),
        ("rejected", "cc_rejected_high_risk", PaymentFailureReason.HIGH_RISK),
        ("rejected", "cc_rejected_other_reason", PaymentFailureReason.OTHER),
        ("rejected", "", PaymentFailureReason.OTHER),
        ("cancelled", "expired", PaymentFailureReason.CANCELLED),
    ],
)
def test_mercadopagos_failure_codes_become_domain_reasons(status, status_detail, reason):
    assert failure_reason(status, status_detail) is reason
