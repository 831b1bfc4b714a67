"""The chat WebSocket against the real ASGI application and the real Redis channel layer: auth and
close codes, live delivery of REST- and socket-sent messages and read receipts, and presence
(MessageSent.recipient_online). The consumer does its DB work in threads, hence transactional tests;
each scenario is a coroutine driven with asgiref's async_to_sync."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from conectar.asgi import application
from conectar.marketplace.models import Message
from tests.marketplace.helpers import JSON, messages, new_client, new_pair, send
from tests.support.events import published
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
TIMEOUT = 5


def socket(chat_id, token=None, *, subprotocols=None) -> WebsocketCommunicator:
    path = f"/ws/chat/{chat_id}/" + (f"?token={token}" if token else "")
    return WebsocketCommunicator(application, path, subprotocols=subprotocols)


async def connected(chat_id, token=None, **kwargs) -> WebsocketCommunicator:
    communicator = socket(chat_id, token, **kwargs)
    ok, _ = await communicator.connect(timeout=TIMEOUT)
    assert ok
    await next_frame(communicator, "ready")  # subscribed to the chat and counted as present
    return communicator


async def close_code(communicator) -> int:
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def next_frame(communicator, frame_type: str) -> dict:
    frame = await communicator.receive_json_from(timeout=TIMEOUT)
    assert frame["type"] == frame_type, frame
    return frame


def sent_events() -> list[dict]:
    return published("marketplace.message_sent.v1", "marketplace")


def test_a_socket_without_a_valid_token_is_closed_4401(client):
    pair = new_pair(client)

    async def scenario():
        for communicator in (
            socket(pair.chat_id),
            socket(pair.chat_id, "no-es-un-jwt"),
            socket(pair.chat_id, subprotocols=["bearer", "no-es-un-jwt"]),
        ):
            await communicator.connect(timeout=TIMEOUT)
            assert await close_code(communicator) == 4401
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_logged_out_token_is_refused(client):
    pair = new_pair(client)
    out = client.post(
        "/api/v1/auth/logout", {"refresh_token": pair.cliente.refresh}, content_type=JSON, headers=pair.cliente.headers
    )
    assert out.status_code in {200, 204}, out.content

    async def scenario():
        communicator = socket(pair.chat_id, pair.cliente.access)
        await communicator.connect(timeout=TIMEOUT)
        assert await close_code(communicator) == 4401

    async_to_sync(scenario)()


def test_someone_else_or_an_unknown_chat_is_closed_4403(client):
    pair = new_pair(client)
    stranger = new_client(client)

    async def scenario():
        for communicator in (socket(pair.chat_id, stranger.access), socket(uuid.uuid4(), pair.cliente.access)):
            await communicator.connect(timeout=TIMEOUT)
            assert await close_code(communicator) == 4403
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_the_token_may_come_in_the_subprotocol_header_and_is_echoed(client):
    pair = new_pair(client)

    async def scenario():
        with_marker = socket(pair.chat_id, subprotocols=["bearer", pair.cliente.access])
        ok, subprotocol = await with_marker.connect(timeout=TIMEOUT)
        assert (ok, subprotocol) == (True, "bearer")
        await next_frame(with_marker, "ready")
        token_only = socket(pair.chat_id, subprotocols=[pair.pro.session.access])
        ok, subprotocol = await token_only.connect(timeout=TIMEOUT)
        assert (ok, subprotocol) == (True, pair.pro.session.access)
        assert (await next_frame(token_only, "ready"))["user_id"] == pair.pro.session.user_id
        await token_only.send_json_to({"type": "ping"})
        assert await next_frame(token_only, "pong") == {"type": "pong"}
        await with_marker.send_json_to({"type": "message", "text": "por el header"})
        for communicator in (with_marker, token_only):
            assert (await next_frame(communicator, "message"))["message"]["text"] == "por el header"
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_both_sides_receive_a_message_sent_over_rest(client):
    pair = new_pair(client)

    async def scenario():
        cliente = await connected(pair.chat_id, pair.cliente.access)
        pro = await connected(pair.chat_id, pair.pro.session.access)
        response = await sync_to_async(send)(client, pair.cliente, pair.chat_id, "Hola por REST")
        assert response.status_code == 201
        for communicator in (cliente, pro):
            frame = await next_frame(communicator, "message")
            # the REST answer is the socket's message plus v1's MessageRead keys
            v1_keys = {"sender_nombre", "timestamp", "read"}
            assert frame["message"] == {k: v for k, v in response.json().items() if k not in v1_keys}
        await cliente.disconnect()
        await pro.disconnect()

    async_to_sync(scenario)()


def test_a_message_sent_over_the_socket_is_stored_once_shielded_and_delivered_to_both(client):
    pair = new_pair(client)

    async def scenario():
        cliente = await connected(pair.chat_id, pair.cliente.access)
        pro = await connected(pair.chat_id, pair.pro.session.access)
        await pro.send_json_to({"type": "message", "text": "Hola Ana, mi cel es 11 4567 8901"})
        frames = [await next_frame(c, "message") for c in (cliente, pro)]
        assert frames[0] == frames[1]
        message = frames[0]["message"]
        assert (message["sender_id"], message["masked"]) == (pair.pro.session.user_id, True)
        assert "4567" not in message["text"]
        await pro.send_json_to({"type": "message", "text": ""})
        error = await next_frame(pro, "error")
        assert (error["code"], list(error["fields"])) == ("invalid", ["text"])
        await pro.send_json_to({"type": "volar"})
        assert (await next_frame(pro, "error"))["code"] == "invalid"
        assert await cliente.receive_nothing(timeout=0.3)
        await cliente.disconnect()
        await pro.disconnect()

    async_to_sync(scenario)()
    assert Message.objects.count() == 1
    stored = messages(client, pair.cliente, pair.chat_id).json()
    assert len(stored) == 1
    assert "4567" not in stored[0]["text"]
    assert len(sent_events()) == 1


def test_a_banned_sender_is_refused_over_the_socket_too(client):
    pair = new_pair(client)
    for text in ("ig: @pedro", "t.me/pedro", "pedro arroba gmail punto com"):
        send(client, pair.pro, pair.chat_id, text)

    async def scenario():
        pro = await connected(pair.chat_id, pair.pro.session.access)
        await pro.send_json_to({"type": "message", "text": "hola"})
        assert (await next_frame(pro, "error"))["code"] == "chat_banned"
        await pro.disconnect()

    async_to_sync(scenario)()
    assert Message.objects.count() == 3


def test_read_receipts_reach_both_sides(client):
    pair = new_pair(client)
    send(client, pair.pro, pair.chat_id, "uno")
    newest = send(client, pair.pro, pair.chat_id, "dos").json()

    async def scenario():
        cliente = await connected(pair.chat_id, pair.cliente.access)
        pro = await connected(pair.chat_id, pair.pro.session.access)
        await cliente.send_json_to({"type": "read"})
        for communicator in (cliente, pro):
            receipt = (await next_frame(communicator, "read"))["receipt"]
            assert (receipt["user_id"], receipt["last_read_message_id"]) == (pair.cliente.user_id, newest["id"])
        response = await sync_to_async(send)(client, pair.cliente, pair.chat_id, "tres")
        for communicator in (cliente, pro):
            await next_frame(communicator, "message")
        await sync_to_async(client.post)(f"/api/v1/chat/mark-read/{pair.chat_id}", headers=pair.pro.headers)
        for communicator in (cliente, pro):
            receipt = (await next_frame(communicator, "read"))["receipt"]
            assert (receipt["user_id"], receipt["last_read_message_id"]) == (
                pair.pro.session.user_id,
                response.json()["id"],
            )
        await cliente.disconnect()
        await pro.disconnect()

    async_to_sync(scenario)()
    assert client.get("/api/v1/chat/unread-count", headers=pair.cliente.headers).json()["unread_count"] == 0


def test_message_sent_says_whether_the_recipient_had_a_socket_open(client):
    pair = new_pair(client)

    send(client, pair.pro, pair.chat_id, "nadie mira")
    assert sent_events()[-1]["recipient_online"] is False

    async def scenario():
        cliente = await connected(pair.chat_id, pair.cliente.access)
        response = await sync_to_async(send)(client, pair.pro, pair.chat_id, "Ana mira")
        assert response.status_code == 201
        await next_frame(cliente, "message")
        # the professional has no socket: the client's reply is for someone offline
        await cliente.send_json_to({"type": "message", "text": "hola Pedro"})
        await next_frame(cliente, "message")
        await cliente.disconnect()

    async_to_sync(scenario)()
    send(client, pair.pro, pair.chat_id, "Ana se fue")

    events = sent_events()
    assert [(e["preview"], e["recipient_id"], e["recipient_online"]) for e in events] == [
        ("nadie mira", pair.cliente.user_id, False),
        ("Ana mira", pair.cliente.user_id, True),
        ("hola Pedro", pair.pro.session.user_id, False),
        ("Ana se fue", pair.cliente.user_id, False),
    ]


def _redis_cache_nowhere(settings) -> None:
    """The cache and the process's other Redis clients (token standings, presence) on a Redis nobody
    listens on; the channel layer stays up."""
    location = f"redis://127.0.0.1:{unused_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    settings.REDIS_URL = location


def test_a_socket_opened_while_redis_is_down_is_closed_4503(client, settings):
    pair = new_pair(client)
    _redis_cache_nowhere(settings)

    async def scenario():
        communicator = socket(pair.chat_id, pair.cliente.access)
        await communicator.connect(timeout=TIMEOUT)
        assert await close_code(communicator) == 4503
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_message_refused_while_redis_is_down_is_not_stored_and_can_be_sent_again(client, settings):
    pair = new_pair(client)
    working = settings.CACHES, settings.REDIS_URL

    async def scenario():
        pro = await connected(pair.chat_id, pair.pro.session.access)
        _redis_cache_nowhere(settings)
        await pro.send_json_to({"type": "message", "text": "¿Le viene bien el martes?"})
        error = await next_frame(pro, "error")
        assert error["code"] == "service_unavailable"
        assert await sync_to_async(Message.objects.count)() == 0
        settings.CACHES, settings.REDIS_URL = working
        await pro.send_json_to({"type": "message", "text": "¿Le viene bien el martes?"})
        assert (await next_frame(pro, "message"))["message"]["text"] == "¿Le viene bien el martes?"
        await pro.disconnect()

    async_to_sync(scenario)()
    assert Message.objects.count() == 1
