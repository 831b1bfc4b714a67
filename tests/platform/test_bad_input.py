"""Input that once answered 500 (issue 14 § 4), through the real routes: each is a 4xx with the one
error body and leaves nothing half-written. The NUL rule (API.md § Conventions): text with U+0000 is
refused with 422 naming the field, on every route, in query strings and over the chat socket."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from conectar.asgi import application
from conectar.platform.eventbus.models import OutboxEvent
from tests.marketplace.deals import new_deal, offer
from tests.marketplace.helpers import JSON, messages, new_client, new_pair, send
from tests.support.accounts import STRONG_PASSWORD, admin_session, bearer, login, signed_up
from tests.support.professionals import new_professional

pytestmark = pytest.mark.django_db(databases="__all__")

NUL = "\x00"
DEEP = "[" * 100_000 + "]" * 100_000


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"detail", "code", "fields"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_names_field(response, field: str) -> None:
    body = assert_error(response, 422, "invalid")
    assert field in body["fields"], body


# --- 1. a password similar to the person's own data -----------------------------------------------


def test_register_with_a_password_like_the_email_is_422_and_creates_no_account(client, django_user_model):
    response = client.post(
        "/api/v1/auth/register",
        {"email": "marianagonzalez@example.com", "password": "marianagonzalez", "nombre": "Mariana", "apellido": "G"},
        content_type=JSON,
    )
    assert_names_field(response, "password")
    assert not django_user_model.objects.filter(email="marianagonzalez@example.com").exists()


@pytest.mark.parametrize(
    ("method", "path"), [("patch", "/api/v1/users/me/password"), ("post", "/api/v1/users/me/change-password")]
)
def test_changing_to_a_password_like_the_email_is_422_and_keeps_the_old_one(client, method, path):
    me = signed_up(client, email="robertoperez@example.com")
    response = getattr(client, method)(
        path,
        {"current_password": STRONG_PASSWORD, "new_password": "robertoperez1"},
        content_type=JSON,
        headers=me.headers,
    )
    assert_names_field(response, "new_password")
    assert login(client, me.email).status_code == 200
    assert client.get("/api/v1/users/me", headers=me.headers).status_code == 200  # not revoked


def test_resetting_to_a_password_like_the_email_is_422_and_keeps_the_old_one(client):
    me = signed_up(client, email="lucianaferreyra@example.com")
    client.post("/api/v1/auth/forgot-password", {"email": me.email}, content_type=JSON)
    event = (
        OutboxEvent.objects.using("default")
        .filter(event_type="auth_ctx.password_reset_requested.v1", envelope__payload__email=me.email)
        .latest("id")
    )
    token = parse_qs(urlparse(event.envelope["payload"]["reset_url"]).query)["token"][0]
    response = client.post(
        "/api/v1/auth/reset-password", {"token": token, "new_password": "lucianaferreyra"}, content_type=JSON
    )
    assert_names_field(response, "new_password")
    assert login(client, me.email).status_code == 200


# --- 2. NUL bytes in text --------------------------------------------------------------------------


def stored_texts(client, pair) -> list[str]:
    """The chat's messages as the marketplace answers them (this test is not the marketplace's: HTTP)."""
    return [m["text"] for m in messages(client, pair.cliente, pair.chat_id).json() if "hola" in m["text"]]


def test_a_chat_message_with_a_nul_is_422_on_both_routes_and_stores_nothing(client):
    pair = new_pair(client)
    assert_names_field(send(client, pair.cliente, pair.chat_id, f"hola{NUL}chau"), "text")
    v1 = client.post(
        "/api/v1/chat/send-message",
        {"chat_id": pair.chat_id, "text": f"hola{NUL}"},
        content_type=JSON,
        headers=pair.cliente.headers,
    )
    assert_names_field(v1, "text")
    assert stored_texts(client, pair) == []


def test_an_oferta_descripcion_with_a_nul_is_422_and_stores_nothing(client):
    deal = new_deal(client)
    assert_names_field(offer(client, deal, descripcion=f"Cambio de canilla{NUL} y flexibles"), "descripcion")
    assert client.get("/api/v1/offers", headers=deal.pro.headers).json() == []


def test_a_search_q_with_a_nul_is_422(client):
    response = client.get("/api/v1/search/professionals", {"lat": "-34.6", "lng": "-58.38", "q": f"plo{NUL}mero"})
    assert_names_field(response, "q")


def test_text_with_a_nul_is_422_on_drf_routes_too(client, django_user_model):
    me = new_client(client)
    response = client.patch("/api/v1/users/me", {"nombre": f"Ana{NUL}"}, content_type=JSON, headers=me.headers)
    assert_names_field(response, "nombre")
    assert client.get("/api/v1/users/me", headers=me.headers).json()["nombre"] == "Ana"
    register = client.post(
        "/api/v1/auth/register",
        {"email": f"x{NUL}@example.com", "password": STRONG_PASSWORD, "nombre": "A", "apellido": "B", "rol": "CLIENTE"},
        content_type=JSON,
    )
    assert_names_field(register, "email")
    form_login = client.post(
        "/api/v1/auth/login",
        f"username=a{NUL}b@example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert_names_field(form_login, "username")
    admin = admin_session(client, django_user_model)
    search = client.get("/api/v1/admin/users/search", {"email": f"an{NUL}a"}, headers=admin.headers)
    assert_names_field(search, "email")


@pytest.mark.django_db(transaction=True, databases="__all__")  # the consumer works in threads
def test_a_socket_frame_with_a_nul_gets_an_error_frame_and_the_socket_stays_open(client):
    pair = new_pair(client)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/chat/{pair.chat_id}/?token={pair.cliente.access}")
        ok, _ = await socket.connect(timeout=5)
        assert ok
        assert (await socket.receive_json_from(timeout=5))["type"] == "ready"
        await socket.send_json_to({"type": "message", "text": f"hola{NUL}"})
        error = await socket.receive_json_from(timeout=5)
        assert (error["type"], error["code"], list(error["fields"])) == ("error", "invalid", ["text"])
        await socket.send_to(text_data=DEEP)
        assert (await socket.receive_json_from(timeout=5))["code"] == "too_deeply_nested"
        await socket.send_to(bytes_data=b"\x00\x01")
        assert (await socket.receive_json_from(timeout=5))["type"] == "error"
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
        await socket.disconnect()

    async_to_sync(scenario)()
    assert stored_texts(client, pair) == []


# --- 3. multipart/form-data without a boundary ------------------------------------------------------


def test_multipart_without_a_boundary_is_400_on_every_upload_route(client):
    pro = new_professional(client)
    item = client.post("/api/v1/professional/portfolio", {"titulo": "Baño"}, content_type=JSON, headers=pro.headers)
    assert item.status_code == 201, item.content
    for path in (
        "/api/v1/professional/kyc/upload",
        "/api/v1/professional/kyc/submit",
        f"/api/v1/professional/portfolio/{item.json()['id']}/image",
        "/api/v1/users/me/avatar",
    ):
        response = client.post(path, b"--x\r\n\r\n", content_type="multipart/form-data", headers=pro.headers)
        assert_error(response, 400, "malformed_multipart")
    assert client.get("/api/v1/professional/kyc", headers=pro.headers).json()["estado_verificacion"] == "PENDIENTE"


# --- 4. absurdly nested JSON ---------------------------------------------------------------------------


def test_json_nested_100000_deep_is_400_on_drf_and_ninja_routes(client):
    me = signed_up(client)
    pro = new_professional(client)
    for method, path, headers in (
        ("post", "/api/v1/auth/register", {}),
        ("post", "/api/v1/auth/login", {}),
        ("patch", "/api/v1/users/me", me.headers),
        ("post", "/api/v1/chat/create", me.headers),
        ("put", "/api/v1/professional/profile", pro.headers),
        ("post", "/api/v1/webhook/mercadopago", {}),
    ):
        for body in (DEEP, '{"nombre": ' + DEEP + "}"):
            response = getattr(client, method)(path, body, content_type=JSON, headers=headers)
            assert_error(response, 400, "too_deeply_nested")


# --- 5. the OpenAPI document is valid JSON Schema --------------------------------------------------------


def _schemas(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{path}/{index}")


def test_every_exclusive_bound_comes_with_its_bound_and_still_holds(client, django_user_model):
    document = client.get("/api/v1/schema").json()
    for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        lacking = [path for path, node in _schemas(document) if key in node and bound not in node]
        assert not lacking, f"{key} without {bound}: {lacking}"
    search = document["paths"]["/api/v1/search/professionals"]["get"]["parameters"]
    radio = next(p for p in search if p["name"] == "radio_km")
    assert "minimum" in str(radio["schema"])
    amount = document["components"]["schemas"]["RefundIn"]["properties"]["amount"]
    assert "minimum" in str(amount)
    response = client.get("/api/v1/search/professionals", {"lat": "-34.6", "lng": "-58.38", "radio_km": "0"})
    assert_names_field(response, "radio_km")
    admin = admin_session(client, django_user_model)
    refund = client.post(
        "/api/v1/payment/refund",
        {"trabajo_id": "00000000-0000-0000-0000-000000000000", "amount": "0"},
        content_type=JSON,
        headers=bearer(admin.access),
    )
    assert_names_field(refund, "amount")
