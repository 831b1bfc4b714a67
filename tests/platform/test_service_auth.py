"""Service-to-service authentication on every kind of internal route: a key per calling service
(header, constant-time compare) or an HMAC signature over method, path, timestamp and body with a
replay window and one-time use."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import uuid

import pytest
from django.test import RequestFactory

from conectar.platform.service_auth import (
    ServiceCredentialsRejected,
    authenticate_service,
    service_request_headers,
)
from tests.support.accounts import signed_up

pytestmark = pytest.mark.django_db(databases="__all__")

PAYMENTS_KEY = "payments-key-7f3a9c1e5b2d4f6a8c0e"
MARKETPLACE_KEY = "marketplace-key-0b1c2d3e4f5a6b7c8d9e"
LEGACY_KEY = "legacy-plain-key-99aa88bb77cc66dd"


@pytest.fixture(autouse=True)
def keys(settings):
    settings.INTERNAL_SERVICE_KEYS = [f"payments:{PAYMENTS_KEY}", f"marketplace:{MARKETPLACE_KEY}", LEGACY_KEY]


def sign(key: str, method: str, full_path: str, body: bytes, *, name: str, timestamp: int | None = None) -> dict:
    """The documented signature, computed here independently of the platform's helper."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    canonical = f"{method}\n{full_path}\n{ts}\n{hashlib.sha256(body).hexdigest()}".encode()
    return {
        "X-Service-Name": name,
        "X-Service-Timestamp": ts,
        "X-Service-Signature": hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest(),
    }


class Route:
    """One internal route, with a body that gets past authentication and shows it did (without
    side effects: an unknown id, or a body the route refuses after authenticating)."""

    def __init__(self, path: str, body: dict, passed: int):
        self.path, self.body, self.passed = path, body, passed

    def call(self, client, headers: dict, *, body: bytes | None = None, path: str | None = None):
        raw = json.dumps(self.body).encode() if body is None else body
        return client.generic("POST", path or self.path, raw, content_type="application/json", headers=headers)

    def raw(self) -> bytes:
        return json.dumps(self.body).encode()


ROUTES = {
    # DRF: a real answer needs a real token; built in the test.
    "internal (DRF)": Route("/api/v1/internal/auth/validate", {"token": "not-a-token"}, passed=401),
    "notify (Ninja)": Route("/api/v1/notify/email", {"to": "ana@example.com"}, passed=422),
    "payment refund (Ninja, staff or service)": Route("/api/v1/payment/refund", {"trabajo_id": str(uuid.uuid4())}, 404),
    "payment payout (Ninja, staff or service)": Route("/api/v1/payment/payout", {"trabajo_id": str(uuid.uuid4())}, 404),
    "infraction webhook (Ninja)": Route("/api/v1/webhook/chat/infraction", {"user_id": str(uuid.uuid4())}, 404),
}


def passed(route: Route, response) -> bool:
    """Authentication let the request through: the route's own answer, not the 401 of auth."""
    if route.path.endswith("/validate"):  # DRF route: a bad *user* token is its own 401
        return response.status_code == 401 and response.json()["code"] == "token_invalid"
    return response.status_code == route.passed


@pytest.fixture(params=sorted(ROUTES))
def route(request) -> Route:
    return ROUTES[request.param]


# --- key header ------------------------------------------------------------------------------------------


def test_missing_credentials_are_401(client, route):
    response = route.call(client, {})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("key", ["wrong-key", PAYMENTS_KEY[:-1], f"payments:{PAYMENTS_KEY}", PAYMENTS_KEY + "x"])
def test_a_wrong_key_is_401(client, route, key):
    response = route.call(client, {"X-Service-Key": key})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["detail"] == "Clave de servicio inválida."


@pytest.mark.parametrize("key", [PAYMENTS_KEY, MARKETPLACE_KEY, LEGACY_KEY])
def test_each_services_key_and_a_plain_legacy_key_pass(client, route, key):
    assert passed(route, route.call(client, {"X-Service-Key": key}))
    assert passed(route, route.call(client, {"X-API-Key": key})), "X-API-Key, as the v1 webhook sends it"


def test_the_key_identifies_the_calling_service():
    factory = RequestFactory()
    assert authenticate_service(factory.post("/x", headers={"X-Service-Key": MARKETPLACE_KEY})).name == "marketplace"
    assert authenticate_service(factory.post("/x", headers={"X-Service-Key": LEGACY_KEY})).name == ""
    assert authenticate_service(factory.post("/x")) is None
    with pytest.raises(ServiceCredentialsRejected):
        authenticate_service(factory.post("/x", headers={"X-Service-Key": "nope"}))


def test_a_real_validation_through_the_drf_internal_route(client):
    me = signed_up(client)
    body = json.dumps({"token": me.access}).encode()
    path = "/api/v1/internal/auth/validate"
    response = client.generic(
        "POST",
        path,
        body,
        content_type="application/json",
        headers=sign(PAYMENTS_KEY, "POST", path, body, name="payments"),
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == me.user_id


# --- HMAC signature ----------------------------------------------------------------------------------------


def test_a_signed_request_passes_and_its_exact_replay_is_refused(client, route):
    headers = sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments")
    assert passed(route, route.call(client, headers))

    replay = route.call(client, headers)

    assert replay.status_code == 401
    assert replay.json()["code"] == "not_authenticated"
    assert "ya fue usada" in replay.json()["detail"]


def test_the_signature_covers_the_body(client, route):
    headers = sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments")
    tampered = route.call(client, headers, body=json.dumps({**route.body, "extra": 1}).encode())
    assert tampered.status_code == 401
    assert tampered.json()["code"] == "not_authenticated"
    assert tampered.json()["detail"] == "Firma de servicio inválida."


def test_the_signature_covers_the_method_and_the_query(client, route):
    wrong_method = sign(PAYMENTS_KEY, "PUT", route.path, route.raw(), name="payments")
    assert route.call(client, wrong_method).status_code == 401
    without_query = sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments")
    assert route.call(client, without_query, path=route.path + "?dry_run=1").status_code == 401
    with_query = sign(PAYMENTS_KEY, "POST", route.path + "?dry_run=1", route.raw(), name="payments")
    assert passed(route, route.call(client, with_query, path=route.path + "?dry_run=1"))


# a few seconds past the ±300 s window: the test and the server read the clock a moment apart
@pytest.mark.parametrize("skew", [-305, 305, -3600])
def test_a_timestamp_outside_the_window_is_refused(client, route, skew):
    headers = sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments", timestamp=int(time.time()) + skew)
    response = route.call(client, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "venció" in response.json()["detail"]


def test_a_timestamp_inside_the_window_passes(client, route):
    headers = sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments", timestamp=int(time.time()) - 250)
    assert passed(route, route.call(client, headers))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h: {**h, "X-Service-Name": "marketplace"}, id="another service's name"),
        pytest.param(lambda h: {**h, "X-Service-Name": "desconocido"}, id="unknown service"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "X-Service-Timestamp"}, id="no timestamp"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "X-Service-Name"}, id="no name"),
        pytest.param(lambda h: {**h, "X-Service-Timestamp": "ayer"}, id="timestamp not a number"),
        pytest.param(lambda h: {**h, "X-Service-Signature": "0" * 64}, id="wrong signature"),
    ],
)
def test_incomplete_or_wrong_signatures_are_refused(client, route, tamper):
    headers = tamper(sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments"))
    response = route.call(client, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_legacy_unnamed_key_cannot_sign(client):
    route = ROUTES["notify (Ninja)"]
    headers = sign(LEGACY_KEY, "POST", route.path, route.raw(), name="legacy")
    assert route.call(client, headers).status_code == 401


def test_the_platform_helper_signs_what_the_routes_accept(client, route):
    headers = service_request_headers(
        name="marketplace", key=MARKETPLACE_KEY, method="POST", full_path=route.path, body=route.raw()
    )
    assert headers == sign(
        MARKETPLACE_KEY,
        "POST",
        route.path,
        route.raw(),
        name="marketplace",
        timestamp=int(headers["X-Service-Timestamp"]),
    )
    assert passed(route, route.call(client, headers))


def test_without_the_replay_record_a_signed_request_is_503_not_let_through(client, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }
    route = ROUTES["notify (Ninja)"]
    response = route.call(client, sign(PAYMENTS_KEY, "POST", route.path, route.raw(), name="payments"))
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
