"""Checkout: the MercadoPago preference of a trabajo (facade, as the marketplace calls it on accept)
and its retry (`POST /payment/create`), against the sandbox through the real SDK."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conectar.payments import facade
from conectar.payments.contracts import PaymentProviderUnavailable, PaymentStatus
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.models import Payment
from conectar.shared.errors import NotFound
from tests.payments.helpers import (
    apply_mercadopago,
    new_checkout,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.concurrency import run_concurrently
from tests.support.events import published
from tests.support.mp_sandbox import header

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.FRONTEND_URL = "https://conectar.example"
    settings.MERCADOPAGO_STATEMENT_DESCRIPTOR = "CONECTAR"
    settings.PAYMENT_EXPIRY_HOURS = 24


def test_checkout_creates_the_preference_stores_the_payment_and_publishes(mp_sandbox, settings):
    settings.PUBLIC_API_URL = "http://127.0.0.1:9/conectar"
    before = timezone.now()
    trabajo = new_checkout(price=Decimal("15000.50"))

    [sent] = mp_sandbox.requests("/checkout/preferences", method="POST")
    assert header(sent, "X-Idempotency-Key") == f"checkout:{trabajo.id}:1"
    body = sent["body"]
    assert body["external_reference"] == str(trabajo.id)
    assert body["notification_url"] == "http://127.0.0.1:9/conectar/api/v1/payment/webhook/mercadopago"
    base = f"https://conectar.example/cliente/trabajos/{trabajo.id}?pago="
    assert body["back_urls"] == {"success": base + "exito", "failure": base + "fallo", "pending": base + "pendiente"}
    assert body["statement_descriptor"] == "CONECTAR"
    assert body["payer"] == {"email": "cliente@example.com"}
    assert [(i["quantity"], Decimal(str(i["unit_price"])), i["currency_id"]) for i in body["items"]] == [
        (1, Decimal("15000.50"), "ARS")
    ]

    payment = Payment.objects.get(trabajo_id=trabajo.id)
    assert trabajo.checkout.payment_id == payment.pk
    assert trabajo.checkout.preference_id == payment.preference_id
    assert trabajo.checkout.payment_url == payment.payment_url
    assert payment.payment_url.startswith(mp_sandbox.url + "/checkout/")
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("15000.50")
    expected_expiry = before + timedelta(hours=24)
    assert expected_expiry <= payment.preference_expires_at <= expected_expiry + timedelta(minutes=1)
    [event] = published("payments.payment_created.v1", "payments")
    assert event["trabajo_id"] == str(trabajo.id)
    assert event["amount"] == "15000.50"
    assert event["preference_id"] == payment.preference_id


def test_a_repeated_checkout_of_one_trabajo_answers_the_same_one(mp_sandbox):
    trabajo = new_checkout()

    again = facade.checkout_create(
        trabajo_id=trabajo.id,
        cliente_id=trabajo.cliente_id,
        profesional_id=trabajo.profesional_id,
        payer_email=None,
        title="otro título",
        amount=trabajo.price,
    )

    assert again == trabajo.checkout
    assert len(mp_sandbox.requests("/checkout/preferences", method="POST")) == 1
    assert Payment.objects.filter(trabajo_id=trabajo.id).count() == 1


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_concurrent_checkouts_of_one_trabajo_make_one_payment_and_one_preference(mp_sandbox):
    trabajo_id, cliente_id, profesional_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    results = run_concurrently(
        lambda: facade.checkout_create(
            trabajo_id=trabajo_id,
            cliente_id=cliente_id,
            profesional_id=profesional_id,
            payer_email="cliente@example.com",
            title="Trabajo",
            amount=Decimal("5000.00"),
        ),
        5,
    )

    assert len({r.preference_id for r in results}) == 1, results
    assert Payment.objects.filter(trabajo_id=trabajo_id).count() == 1
    # Every call carried the same idempotency key, so MercadoPago made one preference.
    assert len(mp_sandbox.state()["preferences"]) == 1
    assert len(published("payments.payment_created.v1", "payments")) == 1


def test_mercadopago_down_means_a_clear_503_and_nothing_stored(mp_sandbox):
    mp_sandbox.fail_next("/checkout/preferences", count=100, status=503)
    trabajo_id = uuid.uuid4()

    def attempt():
        return facade.checkout_create(
            trabajo_id=trabajo_id,
            cliente_id=uuid.uuid4(),
            profesional_id=uuid.uuid4(),
            payer_email="c@example.com",
            title="Trabajo",
            amount=Decimal("100.00"),
        )

    for _ in range(20):  # until the breaker's failure threshold
        with pytest.raises(PaymentProviderUnavailable) as raised:
            attempt()
        assert raised.value.status == 503
        assert raised.value.code == "payment_provider_unavailable"
        if mercadopago.breaker_state() == "open":
            break
    assert mercadopago.breaker_state() == "open"
    hits = len(mp_sandbox.requests("/checkout/preferences"))
    with pytest.raises(PaymentProviderUnavailable):
        attempt()  # fails fast: the open circuit does not even call MercadoPago
    assert len(mp_sandbox.requests("/checkout/preferences")) == hits
    assert not Payment.objects.filter(trabajo_id=trabajo_id).exists()
    assert published("payments.payment_created.v1", "payments") == []


def test_checkout_refuses_amounts_that_are_not_money(mp_sandbox):
    for amount in (Decimal(0), Decimal("-5.00"), Decimal("10.005"), Decimal("NaN")):
        with pytest.raises(Exception) as raised:
            facade.checkout_create(
                trabajo_id=uuid.uuid4(),
                cliente_id=uuid.uuid4(),
                profesional_id=uuid.uuid4(),
                payer_email=None,
                title="x",
                amount=amount,
            )
        assert raised.value.status == 422
    assert mp_sandbox.requests("/checkout/preferences") == []


# --- checkout_retry (POST /payment/create goes through the marketplace to it) --------------------------


def test_a_retry_is_the_next_attempt_on_the_same_payment(mp_sandbox):
    trabajo = new_checkout()

    retried = facade.checkout_retry(trabajo_id=trabajo.id, cliente_id=trabajo.cliente_id)

    assert (retried.payment_id, retried.trabajo_id) == (trabajo.checkout.payment_id, trabajo.id)
    assert retried.preference_id != trabajo.checkout.preference_id
    keys = [header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/checkout/preferences", method="POST")]
    assert keys == [f"checkout:{trabajo.id}:1", f"checkout:{trabajo.id}:2"]
    assert (trabajo.payment().attempt, trabajo.payment().preference_id) == (2, retried.preference_id)
    assert len(published("payments.payment_created.v1", "payments")) == 2
    with pytest.raises(NotFound):
        facade.checkout_retry(trabajo_id=trabajo.id, cliente_id=uuid.uuid4())


def test_after_a_rejected_card_the_client_can_pay_again(mp_sandbox):
    trabajo = new_checkout()
    apply_mercadopago(sandbox_pay(mp_sandbox, trabajo, status="rejected"))
    assert trabajo.payment().status == PaymentStatus.REJECTED

    facade.checkout_retry(trabajo_id=trabajo.id, cliente_id=trabajo.cliente_id)

    assert trabajo.payment().status == PaymentStatus.PENDING


def test_retry_with_mercadopago_down_changes_nothing(mp_sandbox):
    trabajo = new_checkout()
    mp_sandbox.fail_next("/checkout/preferences", count=10, status=500)

    with pytest.raises(PaymentProviderUnavailable):
        facade.checkout_retry(trabajo_id=trabajo.id, cliente_id=trabajo.cliente_id)

    payment = trabajo.payment()
    assert (payment.attempt, payment.preference_id) == (1, trabajo.checkout.preference_id)


# --- facade: summary and the sandbox's simulated payment -------------------------------------------------


def test_payment_summary_tells_the_marketplace_where_the_payment_stands(mp_sandbox):
    trabajo = new_checkout()
    assert facade.payment_summary(trabajo_id=uuid.uuid4()) is None

    pending = facade.payment_summary(trabajo_id=trabajo.id)
    mp_id = sandbox_pay(mp_sandbox, trabajo)
    apply_mercadopago(mp_id)
    paid = facade.payment_summary(trabajo_id=trabajo.id)

    assert (pending.status, pending.mercadopago_payment_id, pending.amount) == (
        PaymentStatus.PENDING,
        None,
        trabajo.price,
    )
    assert pending.payment_url == trabajo.checkout.payment_url
    assert (paid.status, paid.mercadopago_payment_id) == (PaymentStatus.APPROVED, mp_id)
