from urllib.parse import parse_qs, urlparse

import pytest

from conectar.platform.eventbus.models import OutboxEvent
from tests.support.accounts import STRONG_PASSWORD, bearer, login, signed_up

pytestmark = pytest.mark.django_db(databases="__all__")
NEW = "Clave-Recuperada-2025"


def forgot(client, email):
    return client.post("/api/v1/auth/forgot-password", {"email": email}, content_type="application/json")


def reset(client, token, password=NEW):
    return client.post(
        "/api/v1/auth/reset-password", {"token": token, "new_password": password}, content_type="application/json"
    )


def link_for(email) -> str:
    """What the notifications context will e-mail: read from the recorded event."""
    event = (
        OutboxEvent.objects.using("default")
        .filter(event_type="auth_ctx.password_reset_requested.v1", envelope__payload__email=email)
        .latest("id")
    )
    return event.envelope["payload"]["reset_url"]


def token_from(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def test_forgot_password_answers_200_alike_for_known_and_unknown_emails(client):
    me = signed_up(client)
    known, unknown = forgot(client, me.email), forgot(client, "nadie@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert known.json()["success"] is True  # v1's message and success, next to mensaje
    assert known.json()["message"] == known.json()["mensaje"]
    events = OutboxEvent.objects.using("default").filter(event_type="auth_ctx.password_reset_requested.v1")
    assert [e.envelope["payload"]["email"] for e in events] == [me.email]


def test_the_link_resets_the_password_once_and_kills_every_earlier_token(client, settings):
    me = signed_up(client)
    forgot(client, me.email)
    url = link_for(me.email)
    assert url.startswith(settings.FRONTEND_URL + "/reset-password?token=")

    assert reset(client, token_from(url)).status_code == 200
    assert login(client, me.email, NEW).status_code == 200
    assert login(client, me.email, STRONG_PASSWORD).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer(me.access)).status_code == 401
    assert client.get("/api/v1/session", headers=bearer(me.access)).status_code == 401

    reused = reset(client, token_from(url), "Otra-Clave-Nueva-99")
    assert reused.status_code == 400
    assert reused.json()["code"] == "reset_token_invalid"


def test_an_expired_link_is_400(client, settings):
    me = signed_up(client)
    forgot(client, me.email)
    token = token_from(link_for(me.email))
    settings.PASSWORD_RESET_TIMEOUT = -1  # the hour has passed
    response = reset(client, token)
    assert response.status_code == 400
    assert login(client, me.email).status_code == 200, "the password did not change"


def test_a_link_dies_when_the_password_changes_another_way(client):
    me = signed_up(client)
    forgot(client, me.email)
    token = token_from(link_for(me.email))
    client.post(
        "/api/v1/users/me/change-password",
        {"current_password": STRONG_PASSWORD, "new_password": "Cambiada-A-Mano-55"},
        content_type="application/json",
        headers=me.headers,
    )
    assert reset(client, token).status_code == 400


@pytest.mark.parametrize("token", ["", "garbage", "bm9wZQ.abc-def", "....", "A" * 400])
def test_malformed_tokens_are_400_or_422(client, token):
    response = reset(client, token)
    assert response.status_code in {400, 422}
    assert response.json()["code"] in {"reset_token_invalid", "invalid"}


def test_a_weak_new_password_is_422_and_the_link_stays_usable(client):
    me = signed_up(client)
    forgot(client, me.email)
    token = token_from(link_for(me.email))
    weak = reset(client, token, "123")
    assert weak.status_code == 422
    assert "new_password" in weak.json()["fields"]
    assert reset(client, token).status_code == 200
