"""The chat over REST: opening the pair's chat, listing, sending, paging, read marks, who may see."""

import uuid
from datetime import datetime

import pytest
from django.test import Client

from conectar.marketplace.models import Chat
from tests.marketplace.helpers import JSON, messages, new_client, new_pair, new_professional, open_chat, send
from tests.support.accounts import admin_session, signed_up
from tests.support.concurrency import run_concurrently
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")


# --- opening the chat ---------------------------------------------------------------------------------


def test_a_client_opens_the_pairs_one_chat_and_opening_again_returns_it(client):
    cliente = new_client(client, nombre="Ana", apellido="García")
    pro = new_professional(client, nombre="Pedro", apellido="Gómez")

    first = open_chat(client, cliente, pro)
    again = open_chat(client, cliente, pro)

    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert (body["cliente_id"], body["profesional_id"]) == (cliente.user_id, pro.session.user_id)
    assert body["other_participant"]["display_name"] == "Pedro Gómez"
    assert body["other_participant"]["rol"] == "PROFESIONAL"
    assert (body["last_message"], body["unread_count"]) == (None, 0)
    # v1's ChatRead keys (V1-CONTRACT § 3.1)
    assert (body["cliente_nombre"], body["profesional_nombre"]) == ("Ana García", "Pedro Gómez")
    assert (body["last_message_time"], body["last_message_detail"]) == (None, None)
    assert Chat.objects.count() == 1
    created = published("marketplace.chat_created.v1", "marketplace")
    assert [e["chat_id"] for e in created] == [body["id"]]


def test_the_professional_opens_the_same_chat_from_its_side(client):
    pair = new_pair(client)
    response = client.post(
        "/api/v1/chat/create", {"cliente_id": pair.cliente.user_id}, content_type=JSON, headers=pair.pro.headers
    )
    assert response.status_code == 200
    assert response.json()["id"] == pair.chat_id
    assert response.json()["other_participant"]["display_name"] == "Ana García"
    assert response.json()["other_participant"]["rol"] == "CLIENTE"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_concurrent_creates_make_one_chat(client):
    cliente = new_client(client)
    pro = new_professional(client)

    results = run_concurrently(lambda: open_chat(Client(), cliente, pro), 6)

    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in results}) == 1
    assert Chat.objects.count() == 1
    assert len(published("marketplace.chat_created.v1", "marketplace")) == 1


def test_the_other_side_must_exist_with_the_right_role(client, django_user_model):
    cliente = new_client(client)
    otro_cliente = new_client(client)
    pro = new_professional(client)
    otro_pro = new_professional(client)
    pro_account_without_profile = signed_up(client, rol="PROFESIONAL")  # event not delivered yet

    def create(who, body):
        return client.post("/api/v1/chat/create", body, content_type=JSON, headers=who.headers)

    assert create(cliente, {"profesional_id": otro_cliente.user_id}).status_code == 404
    assert create(cliente, {"profesional_id": str(uuid.uuid4())}).status_code == 404
    assert create(cliente, {"profesional_id": pro_account_without_profile.user_id}).status_code == 404
    assert create(pro, {"cliente_id": otro_pro.session.user_id}).status_code == 404
    assert create(pro, {"cliente_id": str(uuid.uuid4())}).status_code == 404
    missing = create(cliente, {"cliente_id": otro_cliente.user_id})
    assert missing.status_code == 422
    assert "profesional_id" in missing.json()["fields"]
    admin = admin_session(client, django_user_model)
    assert create(admin, {"profesional_id": pro.session.user_id}).status_code == 403
    assert client.post("/api/v1/chat/create", {}, content_type=JSON).status_code == 401
    assert Chat.objects.count() == 0


# --- sending and reading ---------------------------------------------------------------------------------


def test_both_send_routes_store_the_message_and_announce_it(client):
    pair = new_pair(client)

    by_path = send(client, pair.cliente, pair.chat_id, "Hola, ¿podés venir el lunes?")
    by_body = client.post(
        "/api/v1/chat/send-message",
        {"chat_id": pair.chat_id, "text": "Sí, a las 18:30"},
        content_type=JSON,
        headers=pair.pro.headers,
    )

    assert (by_path.status_code, by_body.status_code) == (201, 201)
    assert by_path.json()["sender_id"] == pair.cliente.user_id
    assert by_path.json()["kind"] == "texto"
    assert by_path.json()["masked"] is False
    assert by_body.json()["text"] == "Sí, a las 18:30"
    # v1's MessageRead keys on both paths (V1-CONTRACT § 3.1)
    for sent_now, nombre in ((by_path, "Ana García"), (by_body, "Pedro Gómez")):
        body = sent_now.json()
        assert (body["sender_nombre"], body["read"]) == (nombre, False)
        assert body["timestamp"] == int(datetime.fromisoformat(body["created_at"]).timestamp() * 1000)
    listed = messages(client, pair.cliente, pair.chat_id).json()
    assert [m["text"] for m in listed] == ["Sí, a las 18:30", "Hola, ¿podés venir el lunes?"]
    assert [m["sender_nombre"] for m in listed] == ["Pedro Gómez", "Ana García"]
    assert [m["timestamp"] for m in listed] == [by_body.json()["timestamp"], by_path.json()["timestamp"]]
    sent = published("marketplace.message_sent.v1", "marketplace")
    assert [(e["sender_id"], e["recipient_id"], e["preview"]) for e in sent] == [
        (pair.cliente.user_id, pair.pro.session.user_id, "Hola, ¿podés venir el lunes?"),
        (pair.pro.session.user_id, pair.cliente.user_id, "Sí, a las 18:30"),
    ]
    assert all(e["recipient_online"] is False and e["kind"] == "texto" for e in sent)


def test_the_preview_is_at_most_100_characters(client):
    pair = new_pair(client)
    assert send(client, pair.cliente, pair.chat_id, "a" * 300).status_code == 201
    (event,) = published("marketplace.message_sent.v1", "marketplace")
    assert event["preview"] == "a" * 100


@pytest.mark.parametrize(("text", "status"), [("", 422), (" \n ", 422), ("x" * 2001, 422), ("x" * 2000, 201)])
def test_text_is_1_to_2000_characters(client, text, status):
    pair = new_pair(client)
    response = send(client, pair.cliente, pair.chat_id, text)
    assert response.status_code == status, response.content
    if status == 422:
        assert "text" in response.json()["fields"]
        assert messages(client, pair.cliente, pair.chat_id).json() == []


def test_messages_are_paged_newest_first_with_a_before_cursor(client):
    pair = new_pair(client)
    for i in range(7):
        assert send(client, pair.cliente, pair.chat_id, f"mensaje {i}").status_code == 201

    first = messages(client, pair.pro, pair.chat_id, limit=3).json()
    second = messages(client, pair.pro, pair.chat_id, limit=3, before=first[-1]["id"]).json()
    third = messages(client, pair.pro, pair.chat_id, limit=3, before=second[-1]["id"]).json()
    by_time = messages(client, pair.pro, pair.chat_id, limit=50, before=second[0]["created_at"]).json()

    assert [m["text"] for m in first] == ["mensaje 6", "mensaje 5", "mensaje 4"]
    assert [m["text"] for m in second] == ["mensaje 3", "mensaje 2", "mensaje 1"]
    assert [m["text"] for m in third] == ["mensaje 0"]
    assert [m["text"] for m in by_time] == ["mensaje 2", "mensaje 1", "mensaje 0"]
    by_ms = messages(client, pair.pro, pair.chat_id, limit=50, before=str(second[0]["timestamp"])).json()  # v1
    assert [m["text"] for m in by_ms] == ["mensaje 2", "mensaje 1", "mensaje 0"]
    assert messages(client, pair.pro, pair.chat_id, limit=51).status_code == 422
    assert messages(client, pair.pro, pair.chat_id, limit=0).status_code == 422
    assert messages(client, pair.pro, pair.chat_id, before="ayer").status_code == 422
    assert messages(client, pair.pro, pair.chat_id, before=str(uuid.uuid4())).status_code == 422


def test_list_shows_last_message_unread_counts_and_newest_activity_first(client):
    cliente = new_client(client)
    pedro = new_professional(client, nombre="Pedro", apellido="Gómez")
    rita = new_professional(client, nombre="Rita", apellido="Luna")
    chat_pedro = open_chat(client, cliente, pedro).json()["id"]
    chat_rita = open_chat(client, cliente, rita).json()["id"]
    send(client, rita, chat_rita, "Hola Ana")
    send(client, pedro, chat_pedro, "Buenas")
    send(client, pedro, chat_pedro, "¿Cuándo te queda bien?")
    send(client, cliente, chat_pedro, "El lunes")

    listed = client.get("/api/v1/chat/list", headers=cliente.headers).json()
    assert [c["id"] for c in listed] == [chat_pedro, chat_rita]
    assert [c["other_participant"]["display_name"] for c in listed] == ["Pedro Gómez", "Rita Luna"]
    assert [c["last_message"]["text"] for c in listed] == ["El lunes", "Hola Ana"]
    assert [c["unread_count"] for c in listed] == [2, 1]

    # v1's path (V1-CONTRACT § 3.11 R58): {chats: ChatRead[], total_unread}, this project's keys riding along
    mine = client.get("/api/v1/chat/my-chats", headers=cliente.headers).json()
    assert mine["total_unread"] == 3
    assert [c["id"] for c in mine["chats"]] == [chat_pedro, chat_rita]
    assert [c["last_message"] for c in mine["chats"]] == ["El lunes", "Hola Ana"]
    assert [c["last_message_detail"]["id"] for c in mine["chats"]] == [c["last_message"]["id"] for c in listed]
    assert [c["last_message_time"] for c in mine["chats"]] == [
        int(datetime.fromisoformat(c["last_message"]["created_at"]).timestamp() * 1000) for c in listed
    ]
    assert [(c["cliente_nombre"], c["profesional_nombre"]) for c in mine["chats"]] == [
        ("Ana García", "Pedro Gómez"),
        ("Ana García", "Rita Luna"),
    ]
    assert [c["unread_count"] for c in mine["chats"]] == [2, 1]
    assert [c["other_participant"]["display_name"] for c in mine["chats"]] == ["Pedro Gómez", "Rita Luna"]

    send(client, rita, chat_rita, "¿Seguís ahí?")  # newest activity now in Rita's chat
    listed = client.get("/api/v1/chat/list", headers=cliente.headers).json()
    assert [c["id"] for c in listed] == [chat_rita, chat_pedro]
    assert client.get("/api/v1/chat/list", {"limit": 1, "page": 2}, headers=cliente.headers).json()[0]["id"] == (
        chat_pedro
    )
    pedro_view = client.get("/api/v1/chat/list", headers=pedro.headers).json()
    assert [(c["other_participant"]["display_name"], c["unread_count"]) for c in pedro_view] == [("Ana García", 1)]


def test_listing_costs_the_same_queries_for_one_chat_or_many(client, django_assert_max_num_queries):
    cliente = new_client(client)
    for n in range(6):
        pro = new_professional(client, nombre=f"Pro{n}")
        chat_id = open_chat(client, cliente, pro).json()["id"]
        send(client, pro, chat_id, "hola")
    with django_assert_max_num_queries(8):  # auth + chats + last messages + one profiles call
        listed = client.get("/api/v1/chat/list", headers=cliente.headers).json()
    assert len(listed) == 6
    assert {c["other_participant"]["nombre"] for c in listed} == {f"Pro{n}" for n in range(6)}


def test_mark_read_and_unread_count(client):
    pair = new_pair(client)
    other = new_pair(client)  # the same kind of pair, to check counts stay per user
    send(client, pair.pro, pair.chat_id, "uno")
    send(client, pair.pro, pair.chat_id, "dos")
    send(client, pair.cliente, pair.chat_id, "mío: no cuenta para mí")
    send(client, other.pro, other.chat_id, "para otra persona")

    def unread(who):
        return client.get("/api/v1/chat/unread-count", headers=who.headers).json()

    assert unread(pair.cliente) == {"unread_count": 2, "chats_with_unread": 1}
    assert unread(pair.pro) == {"unread_count": 1, "chats_with_unread": 1}

    def read_flags(who):
        return [(m["text"], m["read"]) for m in messages(client, who, pair.chat_id).json()]

    assert read_flags(pair.cliente) == [("mío: no cuenta para mí", False), ("dos", False), ("uno", False)]

    receipt = client.post(f"/api/v1/chat/mark-read/{pair.chat_id}", headers=pair.cliente.headers)

    assert (receipt.status_code, receipt.content) == (204, b"")  # v1 (§ 3.11 R61); the receipt goes to the sockets
    assert unread(pair.cliente) == {"unread_count": 0, "chats_with_unread": 0}
    # v1's `read`: every participant but the sender has read it
    assert read_flags(pair.pro) == [("mío: no cuenta para mí", False), ("dos", True), ("uno", True)]
    assert unread(pair.pro)["unread_count"] == 1
    send(client, pair.pro, pair.chat_id, "tres")
    assert unread(pair.cliente)["unread_count"] == 1
    listed = client.get("/api/v1/chat/list", headers=pair.cliente.headers).json()
    assert listed[0]["unread_count"] == 1


def test_only_participants_see_a_chat_and_staff_may_read_it(client, django_user_model):
    pair = new_pair(client)
    send(client, pair.cliente, pair.chat_id, "privado")
    stranger = new_client(client)
    stranger_pro = new_professional(client)
    admin = admin_session(client, django_user_model)

    for outsider in (stranger, stranger_pro):
        assert messages(client, outsider, pair.chat_id).status_code == 404
        assert send(client, outsider, pair.chat_id, "hola").status_code == 404
        assert client.post(f"/api/v1/chat/mark-read/{pair.chat_id}", headers=outsider.headers).status_code == 404
        assert client.get("/api/v1/chat/list", headers=outsider.headers).json() == []
    assert messages(client, pair.cliente, str(uuid.uuid4())).status_code == 404

    staff_view = messages(client, admin, pair.chat_id)
    assert staff_view.status_code == 200
    assert [m["text"] for m in staff_view.json()] == ["privado"]
    assert send(client, admin, pair.chat_id, "soy staff").status_code == 403
    assert messages(client, pair.pro, pair.chat_id).status_code == 200
    assert messages(client, type("Anon", (), {"headers": {}})(), pair.chat_id).status_code == 401
