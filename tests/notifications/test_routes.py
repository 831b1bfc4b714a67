"""The notifications routes of API.md: preferences, devices, history and the internal /notify/*."""

from __future__ import annotations

import uuid

import pytest

from conectar.notifications.models import Delivery, Device, Notification
from conectar.professionals.contracts import KYCApproved
from tests.notifications.helpers import JSON, internal, person, publish_event, run_deliveries
from tests.support.accounts import admin_session, signed_up
from tests.support.events import deliver_outbox
from tests.support.standins import SendGridStandIn

pytestmark = pytest.mark.django_db(databases="__all__")


def prefs(client, session, user_id=None, body=None):
    path = f"/api/v1/notify/preferences/{user_id or session.user_id}"
    if body is None:
        return client.get(path, headers=session.headers)
    return client.put(path, body, content_type=JSON, headers=session.headers)


def switches(body: dict) -> dict:
    return {p["event_type"]: p["channels"] for p in body["preferences"]}


# --- preferences ----------------------------------------------------------------------------------


def test_preferences_start_at_the_defaults(client):
    me = signed_up(client)
    response = prefs(client, me)
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == me.user_id
    on = switches(body)
    assert on["oferta_aceptada"] == {"push": True, "email": True, "sms": True}
    assert on["mensaje_nuevo"] == {"push": True, "email": False}
    assert on["password_reset"] == {"email": True}
    reset = next(p for p in body["preferences"] if p["event_type"] == "password_reset")
    assert reset["locked"] == ["email"]
    assert reset["label"]


def test_a_person_switches_channels_and_reads_them_back(client):
    me = signed_up(client)
    body = {"preferences": [{"event_type": "mensaje_nuevo", "channels": {"push": False, "email": True}}]}
    response = prefs(client, me, body=body)
    assert response.status_code == 200
    assert switches(response.json())["mensaje_nuevo"] == {"push": False, "email": True}
    assert switches(prefs(client, me).json())["mensaje_nuevo"] == {"push": False, "email": True}
    again = {"preferences": [{"event_type": "mensaje_nuevo", "channels": {"push": True}}]}
    assert switches(prefs(client, me, body=again).json())["mensaje_nuevo"] == {"push": True, "email": True}


def test_security_emails_cannot_be_switched_off(client):
    me = signed_up(client)
    body = {"preferences": [{"event_type": "password_reset", "channels": {"email": False}}]}
    response = prefs(client, me, body=body)
    assert response.status_code == 400
    assert response.json()["code"] == "preference_locked"
    assert switches(prefs(client, me).json())["password_reset"] == {"email": True}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"event_type": "no_existe", "channels": {"push": False}}, "preferences.no_existe"),
        ({"event_type": "password_reset", "channels": {"sms": True}}, "preferences.password_reset.sms"),
        ({"event_type": "oferta_nueva", "channels": {"fax": True}}, "preferences.oferta_nueva.fax"),
    ],
)
def test_unknown_types_or_channels_are_422(client, entry, field):
    me = signed_up(client)
    response = prefs(client, me, body={"preferences": [entry]})
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_someone_elses_preferences_are_403_and_staff_may_read_and_change_them(client, django_user_model):
    me, other = signed_up(client), signed_up(client)
    assert prefs(client, other, user_id=me.user_id).status_code == 403
    body = {"preferences": [{"event_type": "oferta_nueva", "channels": {"email": False}}]}
    assert prefs(client, other, user_id=me.user_id, body=body).status_code == 403
    admin = admin_session(client, django_user_model)
    assert prefs(client, admin, user_id=me.user_id).status_code == 200
    assert switches(prefs(client, admin, user_id=me.user_id, body=body).json())["oferta_nueva"]["email"] is False
    assert prefs(client, admin, user_id=uuid.uuid4()).status_code == 404


def test_preferences_need_a_token(client):
    response = client.get(f"/api/v1/notify/preferences/{uuid.uuid4()}")
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}


# --- devices --------------------------------------------------------------------------------------

TOKEN = "dGVzdC1mY20tdG9rZW4tMDAwMDAwMDAwMDAwMDAwMDAw:APA91bHexample_token-123"


def devices(client, session, method="post", **body):
    call = getattr(client, method)
    return call("/api/v1/notify/devices", body, content_type=JSON, headers=session.headers)


def test_a_device_is_registered_once_and_removed(client):
    me = signed_up(client)
    first = devices(client, me, token=TOKEN, platform="android")
    assert first.status_code == 201
    assert first.json()["platform"] == "android"
    assert devices(client, me, token=TOKEN, platform="android").status_code == 200
    assert Device.objects.filter(user_id=me.user_id).count() == 1
    assert devices(client, me, "delete", token=TOKEN).status_code == 204
    assert not Device.objects.exists()
    gone = devices(client, me, "delete", token=TOKEN)
    assert gone.status_code == 404
    assert gone.json()["code"] == "not_found"


def test_a_token_registered_by_someone_else_moves_to_the_new_owner(client):
    before, after = signed_up(client), signed_up(client)
    devices(client, before, token=TOKEN, platform="ios")
    assert devices(client, after, token=TOKEN, platform="ios").status_code == 200
    assert list(Device.objects.values_list("user_id", flat=True)) == [uuid.UUID(after.user_id)]
    assert devices(client, before, "delete", token=TOKEN).status_code == 404, "not theirs any more"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": TOKEN, "platform": "windows-phone"}, "platform"),
        ({"token": "short", "platform": "android"}, "token"),
        ({"token": "x" * 600, "platform": "android"}, "token"),
        ({"token": "has spaces in it and more than twenty", "platform": "web"}, "token"),
        ({"platform": "android"}, "token"),
    ],
)
def test_invalid_device_bodies_are_422(client, body, field):
    me = signed_up(client)
    response = devices(client, me, **body)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_devices_need_a_token(client):
    assert (
        client.post("/api/v1/notify/devices", {"token": TOKEN, "platform": "web"}, content_type=JSON).status_code == 401
    )


# --- history --------------------------------------------------------------------------------------


def test_history_lists_my_notifications_newest_first_in_pages(client):
    me = person(client, rol="PROFESIONAL")
    other = person(client, rol="PROFESIONAL")
    for _ in range(3):
        publish_event(KYCApproved(professional_id=uuid.uuid4(), usuario_id=uuid.UUID(me.user_id), decided_by=None))
    publish_event(KYCApproved(professional_id=uuid.uuid4(), usuario_id=uuid.UUID(other.user_id), decided_by=None))
    run_deliveries()
    mine = list(Notification.objects.filter(user_id=me.user_id).order_by("-created_at", "-id"))

    first = client.get("/api/v1/notify/history?limit=2", headers=me.headers).json()
    assert [n["id"] for n in first["notifications"]] == [str(n.id) for n in mine[:2]]
    assert first["next_cursor"]
    second = client.get(f"/api/v1/notify/history?limit=2&cursor={first['next_cursor']}", headers=me.headers).json()
    assert [n["id"] for n in second["notifications"]] == [str(mine[2].id)]
    assert second["next_cursor"] is None

    item = first["notifications"][0]
    assert item["title"] == "Identidad verificada"
    assert item["url"] == "/profesional/perfil"
    assert item["channels"]["email"]["status"] == "sent"
    assert item["channels"]["email"]["sent_at"]
    assert set(item["channels"]) == {"push", "email", "sms"}


def test_history_never_repeats_a_password_reset_link(client):
    me = person(client)
    client.post("/api/v1/auth/forgot-password", {"email": me.email}, content_type=JSON)
    deliver_outbox()
    (item,) = client.get("/api/v1/notify/history", headers=me.headers).json()["notifications"]
    assert item["template"] == "password_reset"
    assert item["url"] is None
    assert "token" not in item["body"]


@pytest.mark.parametrize("query", ["limit=0", "limit=51", "cursor=not-a-cursor"])
def test_bad_history_queries_are_422(client, query):
    me = signed_up(client)
    assert client.get(f"/api/v1/notify/history?{query}", headers=me.headers).status_code == 422


# --- internal routes ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["push", "email", "sms"])
@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_internal_routes_without_or_with_a_wrong_service_key_are_401(client, channel, key):
    response = internal(client, channel, {"to": "a@example.com", "subject": "x", "body": "y"}, key=key)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Delivery.objects.exists()


def test_a_users_bearer_token_is_not_a_service_key(client):
    me = signed_up(client)
    response = client.post(
        "/api/v1/notify/email",
        {"to": "a@example.com", "subject": "x", "body": "y"},
        content_type=JSON,
        headers=me.headers,
    )
    assert response.status_code == 401


def test_a_template_notification_for_a_user_goes_out_on_that_channel(client, providers):
    me = person(client, rol="PROFESIONAL")
    response = internal(client, "email", {"user_id": me.user_id, "template": "kyc_aprobado", "data": {}})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["deliveries"] == [{"channel": "email", "status": "pending", "reason": ""}]
    run_deliveries()
    (mail,) = providers.sendgrid.mails
    assert SendGridStandIn.to(mail) == me.email
    assert mail["subject"] == "¡Verificamos tu identidad!"


def test_the_same_idempotency_key_notifies_once(client, providers):
    me = person(client)
    body = {
        "user_id": me.user_id,
        "template": "oferta_nueva",
        "data": {"profesional": "Pedro"},
        "idempotency_key": "k1",
    }
    first, second = internal(client, "push", body), internal(client, "push", body)
    assert first.json()["notification_id"] == second.json()["notification_id"]
    run_deliveries()
    assert len(providers.google.messages) == 1


def test_raw_messages_go_to_the_given_address(client, providers):
    email = internal(client, "email", {"to": "alguien@example.com", "subject": "Hola", "body": "Texto"})
    sms = internal(client, "sms", {"to": "011 4321-9876", "body": "Su código es 1234"})
    push = internal(client, "push", {"to": TOKEN, "title": "Aviso", "body": "Algo pasó"})
    assert (email.status_code, sms.status_code, push.status_code) == (202, 202, 202)
    run_deliveries()
    (mail,) = providers.sendgrid.mails
    assert (SendGridStandIn.to(mail), mail["subject"], SendGridStandIn.content(mail).count("Texto")) == (
        "alguien@example.com",
        "Hola",
        1,
    )
    assert [(s["To"], s["Body"]) for s in providers.twilio.sms] == [("+5491143219876", "Su codigo es 1234")]
    assert [(m["token"], m["notification"]["title"]) for m in providers.google.messages] == [(TOKEN, "Aviso")]


def test_an_unknown_user_is_404(client):
    response = internal(client, "push", {"user_id": str(uuid.uuid4()), "template": "oferta_nueva", "data": {}})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_user"


@pytest.mark.parametrize(
    ("channel", "body", "status", "where"),
    [
        ("push", {"user_id": "11111111-1111-1111-1111-111111111111", "template": "no_existe"}, 422, None),
        ("email", {"template": "kyc_aprobado"}, 422, "user_id"),
        ("sms", {"user_id": "11111111-1111-1111-1111-111111111111", "template": "password_reset"}, 422, "template"),
        ("email", {"to": "no-es-un-email", "subject": "x", "body": "y"}, 422, "to"),
        ("email", {"to": "a@example.com", "body": "y"}, 422, "subject"),
        ("sms", {"to": "llamame", "body": "y"}, 422, "to"),
        ("sms", {"to": "+5491143219876"}, 422, "body"),
        ("push", {}, 422, "to"),
        ("push", {"user_id": "no-uuid", "template": "x"}, 422, "user_id"),
    ],
)
def test_bad_internal_bodies_are_4xx_with_the_error_body(client, channel, body, status, where):
    response = internal(client, channel, body)
    assert response.status_code == status, response.content
    error = response.json()
    assert {"detail", "code"} <= set(error)
    if where:
        assert where in error["fields"]
