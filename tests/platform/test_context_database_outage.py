"""One context's database out of reach (issue 16 § 6): payments' PostgreSQL alias goes through a TCP
proxy (tests/support/tcp_proxy.py) and the proxy is cut, for the web process and for a real worker.
Payments' routes answer 503 with Retry-After and the one error body while the other contexts keep
serving; an event for a payments handler waits, without spending its retries, and is handled once
the database is back; the outbox listener keeps relaying the other databases in the meantime."""

from __future__ import annotations

import uuid

import pytest
from django.db import connections, transaction

from conectar.celery import app as celery_app
from conectar.platform.eventbus.listener import OutboxListener
from conectar.platform.eventbus.models import DeadLetter, OutboxDelivery
from conectar.platform.events import publish
from conectar.platform.lifting.wire import path_for
from conectar.platform.service_auth import service_request_headers
from tests.marketplace.helpers import JSON, new_pair, send
from tests.support.accounts import admin_session
from tests.support.database_proxy import behind_a_proxy
from tests.support.probe.contracts import ProbeCounted, ProbePinged
from tests.support.probe.models import ProbeEffect
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PAYMENTS = "payments"
COUNT_IN_PAYMENTS = "tests.support.probe.handlers.count_in_payments"
SERVICE_KEY = "gateway-key-for-the-outage-tests"
UNAVAILABLE = {
    "detail": "Un servicio necesario no está disponible; probá de nuevo en unos instantes.",
    "code": "service_unavailable",
}


@pytest.fixture
def payments_proxy():
    with behind_a_proxy(PAYMENTS) as proxy:
        yield proxy


@pytest.fixture
def worker_through_proxy(worker):
    """The real worker restarted with payments' database behind the proxy too (its environment is
    built from the test process's connection settings) and a short pool timeout, so that an attempt
    against the cut database gives up in 2 s instead of 10. Put back as it was afterwards."""
    saved = dict(worker.extra_env)
    with behind_a_proxy(PAYMENTS) as proxy:
        worker.extra_env = {**saved, "DB_POOL_TIMEOUT_SECONDS": "2"}
        worker.restart(celery_app)
        yield proxy
    worker.extra_env = saved
    worker.restart(celery_app)  # the settings point straight at the database again


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response.json() == UNAVAILABLE
    assert int(response["Retry-After"]) > 0


def test_payments_routes_are_503_while_the_other_contexts_keep_serving(client, django_user_model, payments_proxy):
    pair = new_pair(client)
    admin = admin_session(client, django_user_model)
    history = f"/api/v1/payment/history/{pair.cliente.user_id}"
    assert client.get(history, headers=pair.cliente.headers).status_code == 200

    payments_proxy.stop()

    assert_unavailable(client.get(history, headers=pair.cliente.headers))
    assert_unavailable(client.get("/api/v1/admin/metrics/financials", headers=admin.headers))
    # every other context answers as usual
    assert client.get("/api/v1/users/me", headers=pair.cliente.headers).status_code == 200
    assert send(client, pair.cliente, pair.chat_id, "¿Podés el lunes?").status_code == 201
    assert client.get("/api/v1/chat/list", headers=pair.pro.headers).status_code == 200
    assert client.get("/api/v1/search/professionals", {"lat": -34.6, "lng": -58.4}).status_code == 200
    assert client.get("/api/v1/public/oficios").status_code == 200
    assert client.get("/api/v1/professional/me", headers=pair.pro.headers).status_code == 200
    assert client.get("/api/v1/professional/kyc", headers=pair.pro.headers).status_code == 200
    assert client.get("/api/v1/notify/history", headers=pair.cliente.headers).status_code == 200
    profile = client.patch("/api/v1/users/me", {"nombre": "Pedro"}, content_type=JSON, headers=pair.pro.headers)
    assert profile.status_code == 200, profile.content

    payments_proxy.start()
    # A server's request start drops a connection that died (close_old_connections with
    # CONN_HEALTH_CHECKS); Django's test client skips that signal, so the test does it.
    connections[PAYMENTS].close()

    assert client.get(history, headers=pair.cliente.headers).status_code == 200


def test_a_facade_call_to_payments_while_its_database_is_cut_is_503_not_500(client, settings, payments_proxy):
    """The RPC endpoint a lifted caller reaches payments through is a plain Django view: an outage
    there is the one 503 body with Retry-After too, not handler500's 500 (which reads as a bug)."""
    settings.INTERNAL_SERVICE_KEYS = [f"gateway:{SERVICE_KEY}"]
    path = path_for(PAYMENTS, "payment_summary")
    payments_proxy.stop()

    body = b'{"nonce":"outage-1","kwargs":{"trabajo_id":"%s"}}' % str(uuid.uuid4()).encode()
    headers = service_request_headers(name="gateway", key=SERVICE_KEY, method="POST", full_path=path, body=body)
    response = client.post(path, body, content_type=JSON, headers=headers)

    assert_unavailable(response)


def test_the_outbox_listener_keeps_relaying_the_other_databases_while_one_is_cut(payments_proxy):
    payments_proxy.stop()
    news: list[str] = []
    listener = OutboxListener(news.append, aliases=["marketplace", PAYMENTS], reconnect_seconds=0.2)
    listener.start()
    try:
        wait_until(lambda: "marketplace" in news, timeout=15, message="the marketplace's outbox listened to")
        news.clear()
        with transaction.atomic(using="marketplace"):
            publish(ProbeCounted(n=1))
        wait_until(lambda: "marketplace" in news, timeout=15, message="news of the marketplace's commit")
        assert PAYMENTS not in news

        payments_proxy.start()

        wait_until(lambda: PAYMENTS in news, timeout=15, message="payments' outbox listened to again")
    finally:
        listener.stop()


def _delivery(event) -> OutboxDelivery | None:
    deliveries = OutboxDelivery.objects.using("marketplace").filter(handler=COUNT_IN_PAYMENTS)
    return deliveries.filter(event__event_id=event.event_id).first()


@pytest.mark.timeout(300)  # two worker restarts around the outage
def test_an_event_for_payments_waits_out_the_outage_and_is_handled_when_the_database_is_back(worker_through_proxy):
    proxy = worker_through_proxy
    proxy.stop()
    counted = ProbeCounted(n=16)
    with transaction.atomic(using="marketplace"):
        publish(counted)

    # Sent, tried against the cut database and sent again (at least twice): an outage, not a failure.
    wait_until(lambda: (d := _delivery(counted)) is not None and d.sends >= 3, timeout=120, message="resends")
    waiting = _delivery(counted)
    assert waiting.confirmed_at is None
    assert waiting.failures == 0
    # Meanwhile the other contexts' events are handled as usual.
    pinged = ProbePinged(label="durante el corte")
    with transaction.atomic(using="marketplace"):
        publish(pinged)
    for alias in ("users", "notifications"):
        wait_until(lambda a=alias: ProbeEffect.objects.using(a).filter(event_id=pinged.event_id).exists(), timeout=60)

    proxy.start()
    connections[PAYMENTS].close()  # the test process's own connection died with the proxy

    wait_until(
        lambda: ProbeEffect.objects.using(PAYMENTS).filter(event_id=counted.event_id).exists(),
        timeout=120,
        message="the payments handler after the outage",
    )
    wait_until(lambda: _delivery(counted).confirmed_at is not None, timeout=60, message="the confirmation")
    handled = _delivery(counted)
    assert (handled.outcome, handled.failures) == ("handled", 0)
    assert ProbeEffect.objects.using(PAYMENTS).filter(event_id=counted.event_id).count() == 1
    assert not DeadLetter.objects.using(PAYMENTS).filter(event_id=counted.event_id).exists()
