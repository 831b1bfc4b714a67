"""Contact shielding in the chat: masked before storing, infractions, the ban at 3, staff lifting it
in the Django admin, and the internal infraction webhook."""

import uuid

import pytest
from django.test import Client

from conectar.marketplace import facade
from conectar.marketplace.shielding import MASK
from tests.marketplace.helpers import JSON, messages, new_pair, send
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")

SERVICE_KEY = "svc-key-marketplace-0123456789"
STANDINGS = "/admin/marketplace/chatstanding/"


@pytest.fixture
def service_key(settings):
    settings.INTERNAL_SERVICE_KEYS = [SERVICE_KEY]
    return SERVICE_KEY


@pytest.fixture
def staff(django_user_model):
    account = django_user_model.objects.create_superuser("moderadora@example.com", "Clave-Segura-2024")
    browser = Client()
    browser.force_login(account)
    browser.account = account
    return browser


def test_contact_details_are_masked_before_storing_and_cost_an_infraction(client):
    pair = new_pair(client)

    response = send(client, pair.pro, pair.chat_id, "Llamame al 11 4567 8901 o a pedro@gmail.com")

    assert response.status_code == 201
    assert response.json()["text"] == f"Llamame al {MASK} o a {MASK}"
    assert response.json()["masked"] is True
    stored = messages(client, pair.cliente, pair.chat_id).json()[0]
    assert "4567" not in stored["text"]
    assert "pedro@" not in stored["text"]
    (event,) = published("marketplace.message_sent.v1", "marketplace")
    assert "4567" not in event["preview"]
    assert send(client, pair.pro, pair.chat_id, "El presupuesto es $15.000, a las 18:30").json()["masked"] is False
    assert published("marketplace.chat_banned.v1", "marketplace") == []


def test_three_infractions_ban_the_sender_until_staff_lift_it(client, staff):
    pair = new_pair(client)
    evasions = ["mi cel once cuatro cinco seis siete ocho nueve cero", "ig: @pedro", "wa.me/5491145678901"]
    for text in evasions:
        assert send(client, pair.pro, pair.chat_id, text).status_code == 201

    refused = send(client, pair.pro, pair.chat_id, "hola, ¿seguimos?")

    assert refused.status_code == 403
    assert refused.json()["code"] == "chat_banned"
    assert "bloqueado" in refused.json()["detail"]
    assert len(messages(client, pair.cliente, pair.chat_id).json()) == 3
    banned = published("marketplace.chat_banned.v1", "marketplace")
    assert banned == [{**banned[0], "user_id": pair.pro.session.user_id, "infractions": 3}]
    # the other participant is not affected
    assert send(client, pair.cliente, pair.chat_id, "¿Hola?").status_code == 201

    page = staff.get(STANDINGS)
    assert page.status_code == 200
    assert pair.pro.session.user_id in page.content.decode()
    lifted = staff.post(STANDINGS, {"action": "lift_ban", "_selected_action": [pair.pro.session.user_id]})
    assert lifted.status_code == 302

    assert send(client, pair.pro, pair.chat_id, "hola, ¿seguimos?").status_code == 201
    lifts = published("marketplace.chat_ban_lifted.v1", "marketplace")
    assert [(e["user_id"], e["lifted_by"]) for e in lifts] == [(pair.pro.session.user_id, str(staff.account.pk))]
    # the count started over: one more infraction does not ban again
    assert send(client, pair.pro, pair.chat_id, "ig: @pedro").status_code == 201
    assert send(client, pair.pro, pair.chat_id, "¿y?").status_code == 201


def test_staff_see_chats_with_their_messages_read_only(client, staff):
    pair = new_pair(client)
    send(client, pair.cliente, pair.chat_id, "mensaje para moderación")
    page = staff.get(f"/admin/marketplace/chat/{pair.chat_id}/change/")
    assert page.status_code == 200
    assert "mensaje para moderación" in page.content.decode()
    assert staff.get("/admin/marketplace/chat/add/").status_code == 403


def test_the_infraction_webhook_counts_and_bans(client, service_key):
    pair = new_pair(client)

    def report(user_id, **headers):
        return client.post(
            "/api/v1/webhook/chat/infraction",
            {"user_id": user_id, "reason": "reportado por moderación"},
            content_type=JSON,
            headers=headers,
        )

    first = report(pair.cliente.user_id, **{"X-API-Key": service_key})
    assert first.status_code == 200
    assert first.json() == {**first.json(), "user_id": pair.cliente.user_id, "infracciones_chat": 1}
    assert first.json()["is_chat_banned"] is False
    assert first.json()["message"]
    report(pair.cliente.user_id, **{"X-API-Key": service_key})
    third = report(pair.cliente.user_id, **{"X-API-Key": service_key}).json()
    assert (third["infracciones_chat"], third["is_chat_banned"]) == (3, True)
    assert send(client, pair.cliente, pair.chat_id, "hola").json()["code"] == "chat_banned"
    # the account's UserRead shows the marketplace's record (V1-CONTRACT § 3.1)
    me = client.get("/api/v1/users/me", headers=pair.cliente.headers).json()
    assert (me["infracciones_chat"], me["is_chat_banned"]) == (3, True)
    other = client.get("/api/v1/users/me", headers=pair.pro.session.headers).json()
    assert (other["infracciones_chat"], other["is_chat_banned"]) == (0, False)

    assert report(str(uuid.uuid4()), **{"X-API-Key": service_key}).status_code == 404
    assert report(pair.pro.session.user_id).status_code == 401
    assert report(pair.pro.session.user_id, **{"X-API-Key": "otra-clave"}).status_code == 401
    assert report(pair.pro.session.user_id, **{"X-API-Key": ""}).status_code == 401
    assert report(pair.pro.session.user_id, Authorization=f"Bearer {pair.pro.session.access}").status_code == 401
    assert send(client, pair.pro, pair.chat_id, "sigo pudiendo").status_code == 201


def test_the_facade_posts_system_messages_and_finds_the_pairs_chat(client):
    pair = new_pair(client)

    chat = facade.chat_between(cliente_id=uuid.UUID(pair.cliente.user_id), profesional_id=pair.pro.session.user_id)
    assert str(chat.id) == pair.chat_id
    assert facade.chat_between(cliente_id=uuid.uuid4(), profesional_id=uuid.UUID(pair.pro.session.user_id)) is None

    message = facade.post_system_message(chat_id=chat.id, text="Pedro te envió una oferta (wa.me/5491145678901)")

    assert (message.kind, message.sender_id, message.masked) == ("sistema", None, False)
    listed = messages(client, pair.cliente, pair.chat_id).json()
    assert [(m["kind"], m["sender_id"]) for m in listed] == [("sistema", None)]
    events = published("marketplace.message_sent.v1", "marketplace")
    assert {e["recipient_id"] for e in events} == {pair.cliente.user_id, pair.pro.session.user_id}
    assert client.get("/api/v1/chat/unread-count", headers=pair.cliente.headers).json()["unread_count"] == 1
