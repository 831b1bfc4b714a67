"""One error body, from both frameworks and from Django itself, for every kind of bad request."""

import json
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.auth_ctx import access_token_for

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("errors@example.com", "pw-123456789")


@pytest.fixture
def auth(user):
    return {"Authorization": f"Bearer {access_token_for(user)}"}


def assert_error_body(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body) <= {"detail", "code", "fields"}
    return body


@pytest.mark.parametrize("path", ["/api/v1/probe/ninja/items", "/api/v1/probe/drf/items"])
def test_validation_errors_are_422_with_fields(client, auth, path):
    response = client.post(path, {"name": "ab", "count": -1}, content_type="application/json", headers=auth)
    body = assert_error_body(response, 422, "invalid")
    assert set(body["fields"]) == {"name", "count"}
    assert all(isinstance(m, list) and m for m in body["fields"].values())


@pytest.mark.parametrize("path", ["/api/v1/probe/ninja/items", "/api/v1/probe/drf/items"])
def test_malformed_json_is_422(client, auth, path):
    response = client.post(path, '{"name": "abc", ', content_type="application/json", headers=auth)
    assert_error_body(response, 422, "malformed_body")


@pytest.mark.parametrize("path", ["/api/v1/probe/ninja/items", "/api/v1/probe/drf/items"])
def test_wrong_content_type_is_415(client, auth, path):
    response = client.post(path, "name=abc&count=1", content_type="text/plain", headers=auth)
    assert_error_body(response, 415, "unsupported_media_type")


def test_unknown_route_is_404_json(client):
    assert_error_body(client.get("/api/v1/no/such/route"), 404, "not_found")
    assert_error_body(client.get("/nowhere"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/probe/drf/items"])
def test_wrong_method_is_405_with_allow(client, auth, path):
    response = client.delete(path, headers=auth)
    assert_error_body(response, 405, "method_not_allowed")
    assert response.has_header("Allow")


@pytest.mark.parametrize("path", ["/api/v1/probe/ninja/items", "/api/v1/probe/drf/items"])
def test_body_over_the_limit_is_413_and_writes_nothing(client, auth, path, settings):
    from tests.support.probe.models import ProbeItem

    settings.MAX_JSON_BODY_BYTES = 1000
    payload = json.dumps({"name": "x" * 5000, "count": 1})
    response = client.post(path, payload, content_type="application/json", headers=auth)
    assert_error_body(response, 413, "payload_too_large")
    assert not ProbeItem.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/probe/ninja/boom", "/api/v1/probe/drf/boom"])
def test_unexpected_errors_are_500_without_internals(auth, path):
    from django.test import Client

    response = Client(raise_request_exception=False).get(path, headers=auth)
    body = assert_error_body(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in body["detail"]


def test_domain_errors_keep_their_status_and_code(client, auth):
    body = assert_error_body(client.get("/api/v1/probe/ninja/conflict", headers=auth), 400, "invalid_state")
    assert body["detail"] == "The oferta is already ACEPTADO."


class TestOneTokenForBothFrameworks:
    @pytest.mark.parametrize("path", ["/api/v1/probe/ninja/items", "/api/v1/probe/drf/items"])
    def test_a_simplejwt_access_token_works_on_both(self, client, auth, user, path):
        response = client.post(path, {"name": "abc", "count": 1}, content_type="application/json", headers=auth)
        assert response.status_code == 201
        assert response.json()["user_id"] == str(user.pk)

    def test_the_session_route_reads_the_principal(self, client, auth, user):
        response = client.get("/api/v1/session", headers=auth)
        assert response.status_code == 200
        assert response.json() == {"user_id": str(user.pk), "rol": "CLIENTE", "is_staff": False}

    @pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/probe/drf/items"])
    def test_missing_token_is_401(self, client, path):
        response = client.post(path, {}, content_type="application/json") if "drf" in path else client.get(path)
        assert_error_body(response, 401, response.json()["code"])
        assert response.json()["code"] in {"not_authenticated", "authentication_failed"}

    @pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/probe/drf/items"])
    def test_expired_token_is_401(self, client, user, path):
        token = AccessToken(access_token_for(user))  # a genuine token, then past its expiry
        token.set_exp(lifetime=-timedelta(seconds=1))
        headers = {"Authorization": f"Bearer {token}"}
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] in {"not_authenticated", "authentication_failed"}

    @pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/probe/drf/items"])
    def test_token_signed_with_another_key_is_401(self, client, user, path):
        import jwt

        forged = jwt.encode(
            {"token_type": "access", "user_id": str(user.pk), "jti": "x", "exp": 9999999999},
            "another-signing-key-of-a-proper-length-32b",
            algorithm="HS256",
        )
        response = client.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401

    def test_a_deactivated_accounts_token_is_401_on_both(self, client, auth, user):
        user.is_active = False
        user.save()
        assert client.get("/api/v1/session", headers=auth).status_code == 401
        assert client.get("/api/v1/probe/drf/items", headers=auth).status_code == 401


def test_request_id_is_accepted_or_generated(client):
    given = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given["X-Request-ID"] == "abc-123"
    generated = client.get("/health/live")
    assert len(generated["X-Request-ID"]) == 32
    hostile = client.get("/health/live", headers={"X-Request-ID": "bad id\r\nSet-Cookie: x"})
    assert hostile["X-Request-ID"] != "bad id\r\nSet-Cookie: x"


def test_log_lines_are_json_and_carry_the_request_id(client):
    import io
    import logging

    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)  # the configured structured formatter
    root.addHandler(handler)
    try:
        client.get("/api/v1/no/such/route", headers={"X-Request-ID": "log-me-42"})
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    not_found = [line for line in lines if line.get("logger") == "django.request"]
    assert not_found
    assert not_found[-1]["request_id"] == "log-me-42"


def test_ninja_validation_messages_are_spanish_like_drfs(client, auth):
    response = client.post(
        "/api/v1/probe/ninja/items", {"name": "ab", "count": "muchos"}, content_type="application/json", headers=auth
    )
    fields = response.json()["fields"]
    assert fields["name"] == ["Debe tener al menos 3 caracteres."]
    assert fields["count"] == ["Ingresá un número entero."]
    missing = client.post("/api/v1/probe/ninja/items", {}, content_type="application/json", headers=auth)
    assert missing.json()["fields"]["name"] == ["Este campo es obligatorio."]
