"""Accepting an oferta is a saga: the acceptance and the trabajo commit first, then payments makes the
MercadoPago checkout (the real SDK against the local sandbox) with no marketplace lock held, then the
trabajo records it. When MercadoPago cannot answer, the trabajo waits in PENDIENTE_PAGO with no
payment anywhere, and `POST /payment/create` makes the checkout later."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connections

from conectar.marketplace.models import Oferta, Trabajo
from conectar.payments import facade as payments
from conectar.platform import breakers
from tests.marketplace.deals import new_deal, offer
from tests.marketplace.helpers import JSON
from tests.payments.helpers import apply_mercadopago
from tests.support.concurrency import run_concurrently
from tests.support.events import published
from tests.support.mp_sandbox import header

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def accept(client, deal, oferta_id):
    return client.post(f"/api/v1/cliente/ofertas/{oferta_id}/accept", headers=deal.cliente.headers)


def pay_create(client, session, trabajo_id):
    return client.post(
        "/api/v1/payment/create", {"trabajo_id": str(trabajo_id)}, content_type=JSON, headers=session.headers
    )


@pytest.mark.parametrize("fault", ["error", "timeout"])
def test_mercadopago_down_at_accept_leaves_a_payable_trabajo_and_no_orphan_payment(client, mp_sandbox, settings, fault):
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    if fault == "error":
        mp_sandbox.fail_next("/checkout/preferences", count=10, status=500)
    else:
        settings.MERCADOPAGO_TIMEOUT_SECONDS = 0.3
        mp_sandbox.hang_next("/checkout/preferences", count=10, seconds=2)

    response = accept(client, deal, oferta_id)

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "payment_provider_unavailable"
    assert "Retry-After" in response
    trabajo = Trabajo.objects.get(oferta_id=oferta_id)
    assert str(trabajo.pk) in response.json()["detail"]
    assert (trabajo.estado, trabajo.payment_id, trabajo.payment_url) == ("PENDIENTE_PAGO", None, "")
    assert Oferta.objects.get(pk=oferta_id).estado == "ACEPTADO"
    assert payments.payment_summary(trabajo_id=trabajo.pk) is None, "no Payment without a trabajo that knows it"
    assert published("marketplace.offer_accepted.v1", "marketplace")[0]["trabajo_id"] == str(trabajo.pk)
    assert accept(client, deal, oferta_id).status_code == 400  # accepting twice still decides once

    # MercadoPago answers again: the client pays from the trabajo.
    mp_sandbox.reset()
    breakers.reset_all()  # MercadoPago's among them (payments' own reset is its internal)
    settings.MERCADOPAGO_TIMEOUT_SECONDS = 8
    created = pay_create(client, deal.cliente, trabajo.pk)
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["payment_url"].startswith(mp_sandbox.url)
    trabajo.refresh_from_db()
    assert (str(trabajo.payment_id), trabajo.payment_preference_id, trabajo.payment_url) == (
        body["payment_id"],
        body["preference_id"],
        body["payment_url"],
    )
    summary = payments.payment_summary(trabajo_id=trabajo.pk)
    assert (str(summary.payment_id), summary.amount) == (body["payment_id"], trabajo.precio_final)


def test_no_marketplace_row_is_locked_while_mercadopago_is_called(client, mp_sandbox):
    """Today's rule, checked from another connection: while MercadoPago takes its time, the oferta
    and the trabajo can be locked by anyone else (NOWAIT fails at once if a lock is held)."""
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    mp_sandbox.hang_next("/checkout/preferences", count=1, seconds=2)
    outcome = {}
    accepting = threading.Thread(target=lambda: outcome.setdefault("response", accept(client, deal, oferta_id)))
    accepting.start()
    try:
        deadline = time.monotonic() + 10
        while not Trabajo.objects.filter(oferta_id=oferta_id).exists():
            assert time.monotonic() < deadline, "the trabajo was not committed before the checkout call"
            time.sleep(0.02)
        assert accepting.is_alive(), "MercadoPago should still be answering"
        s = connections["marketplace"].settings_dict
        with psycopg.connect(
            dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"], autocommit=False
        ) as other:
            other.execute("SET lock_timeout = '50ms'")
            other.execute("SELECT 1 FROM marketplace_oferta WHERE id = %s FOR UPDATE NOWAIT", [oferta_id])
            other.execute("SELECT 1 FROM marketplace_trabajo WHERE oferta_id = %s FOR UPDATE NOWAIT", [oferta_id])
            other.rollback()
    finally:
        accepting.join(timeout=15)
    assert outcome["response"].status_code == 200, outcome["response"].content
    trabajo = Trabajo.objects.get(oferta_id=oferta_id)
    assert trabajo.payment_preference_id == outcome["response"].json()["payment_preference_id"]


def test_a_double_click_on_the_first_checkout_makes_one_payment(client, mp_sandbox):
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    mp_sandbox.fail_next("/checkout/preferences", count=10, status=500)
    assert accept(client, deal, oferta_id).status_code == 503
    trabajo = Trabajo.objects.get(oferta_id=oferta_id)
    mp_sandbox.reset()
    breakers.reset_all()  # MercadoPago's among them (payments' own reset is its internal)

    responses = run_concurrently(lambda: pay_create(client, deal.cliente, trabajo.pk), times=3)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.json()["payment_id"] for r in responses}) == 1
    keys = {header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/checkout/preferences", method="POST")}
    assert keys == {f"checkout:{trabajo.pk}:1"}


def test_the_client_gets_a_new_preference_for_an_unpaid_trabajo(client, mp_sandbox):
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    accepted = accept(client, deal, oferta_id).json()

    response = pay_create(client, deal.cliente, accepted["trabajo_id"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["trabajo_id"] == accepted["trabajo_id"]
    assert body["preference_id"] != accepted["payment_preference_id"]
    keys = [header(r, "X-Idempotency-Key") for r in mp_sandbox.requests("/checkout/preferences", method="POST")]
    assert keys == [f"checkout:{accepted['trabajo_id']}:1", f"checkout:{accepted['trabajo_id']}:2"]
    trabajo = Trabajo.objects.get(pk=accepted["trabajo_id"])
    assert (trabajo.payment_preference_id, trabajo.payment_url) == (body["preference_id"], body["payment_url"])


def test_only_the_owner_may_ask_and_only_while_unpaid(client, mp_sandbox):
    deal = new_deal(client)
    other = new_deal(client, nombre="Otro")
    trabajo_id = accept(client, deal, offer(client, deal).json()["id"]).json()["trabajo_id"]

    assert pay_create(client, other.cliente, trabajo_id).status_code == 404
    assert pay_create(client, deal.pro, trabajo_id).status_code == 403
    anonymous = client.post("/api/v1/payment/create", {"trabajo_id": trabajo_id}, content_type=JSON)
    assert anonymous.status_code == 401
    malformed = pay_create(client, deal.cliente, "nope")
    assert malformed.status_code == 422
    assert "trabajo_id" in malformed.json()["fields"]

    preference_id = Trabajo.objects.get(pk=trabajo_id).payment_preference_id
    apply_mercadopago(str(mp_sandbox.pay(preference_id, notify=False, wait=False)["id"]))
    paid = pay_create(client, deal.cliente, trabajo_id)
    assert paid.status_code == 400
    assert paid.json()["code"] == "payment_not_retryable"
