"""The chat sockets' batched writer (conectar/marketplace/services/chat_writer.py), against the real
ASGI application, PostgreSQL and the Redis channel layer:

- a message sent again with its `client_id` is stored once, and the sender gets the first back;
- frames handed over together are stored in one transaction, in their order, and a refusal in the
  middle (a ban an earlier frame of the same batch earned, a blank text) refuses that frame alone;
- the batch checks its frames' tokens: a frame whose token was revoked (a logout, a ban) is not
  stored and is answered with the close code, the others of the batch are stored;
- many sockets of several chats, sending at once over two daphne processes (the production
  connection budget, DB_POOL_SIZE=1): every frame stored exactly once, each sender's frames in the
  order sent, every socket shown each of its chat's messages once and each sender's in stored order
  — and neither process holds more than one connection per database, nor keeps one checked out
  that a later request would wait for."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection, connections
from websockets.asyncio.client import connect

from conectar.asgi import application
from conectar.marketplace.contracts import ChatBannedError
from conectar.marketplace.models import Message
from conectar.marketplace.services import bans, chat_writer, socket_access
from conectar.marketplace.shielding import MASK
from conectar.platform.databases import alias_for
from tests.marketplace.helpers import new_pair
from tests.marketplace.revocations import revocation
from tests.support.daphne import Daphne
from tests.support.events import published

pytestmark = [pytest.mark.django_db(transaction=True, databases="__all__"), pytest.mark.timeout(300)]
FRAME_TIMEOUT = 60  # a ceiling for frames that must come, not a measure
PER_SOCKET = 12


def _transactions_of(chat_id) -> list[int]:
    """The transaction (xmin) that inserted each message of the chat, in stored order."""
    with connections[alias_for("marketplace")].cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text::bigint FROM marketplace_message WHERE chat_id = %s ORDER BY created_at, id", [chat_id]
        )
        return [row[0] for row in cursor.fetchall()]


def test_frames_handed_over_together_are_one_transaction_in_order_each_refused_alone(client):
    pair = new_pair(client)
    chat_id, pro = uuid.UUID(pair.chat_id), uuid.UUID(pair.pro.session.user_id)
    cliente = uuid.UUID(pair.cliente.user_id)
    tokens = {cliente: pair.cliente.access, pro: pair.pro.session.access}
    for _ in range(bans.BAN_THRESHOLD - 1):
        bans.infraction_record(user_id=pro, reason="antes")
    frames = [
        (cliente, "Hola, ¿podés el martes?"),
        (pro, "   "),  # blank: refused by itself
        (pro, "Sí. Escribime a pedro@gmail.com"),  # masked: the third infraction bans the sender...
        (cliente, "Perfecto, gracias"),
        (pro, "¿A qué hora?"),  # ...so this one, later in the same batch, is refused
    ]

    async def scenario():
        writer = chat_writer.writer()
        # All handed over before the writer's lane runs: one batch.
        pending = [writer.submit(chat_id=chat_id, user_id=who, token=tokens[who], text=text) for who, text in frames]
        return await asyncio.gather(*pending)

    outcomes = async_to_sync(scenario)()

    assert [type(o).__name__ for o in outcomes] == ["Message", "InvalidInput", "Message", "Message", "ChatBannedError"]
    assert isinstance(outcomes[4], ChatBannedError)
    stored = list(Message.objects.filter(chat_id=chat_id).order_by("created_at", "id"))
    assert [m.text for m in stored] == ["Hola, ¿podés el martes?", f"Sí. Escribime a {MASK}", "Perfecto, gracias"]
    assert [m.pk for m in stored] == [outcomes[0].pk, outcomes[2].pk, outcomes[3].pk]
    assert len(set(_transactions_of(chat_id))) == 1
    events = published("marketplace.message_sent.v1", "marketplace")
    assert [e["message_id"] for e in events] == [str(m.pk) for m in stored]
    assert [e["recipient_id"] for e in events] == [str(pro), str(cliente), str(pro)]


def test_a_message_sent_again_with_its_client_id_is_stored_once_and_answered_with_the_first(client):
    pair = new_pair(client)
    again = str(uuid.uuid4())

    async def scenario():
        pro = await _communicator(pair.chat_id, pair.pro.session.access)
        cliente = await _communicator(pair.chat_id, pair.cliente.access)
        await pro.send_json_to({"type": "message", "text": "¿Le viene bien el martes?", "client_id": again})
        first = (await pro.receive_json_from(timeout=FRAME_TIMEOUT))["message"]
        assert first["client_id"] == again
        assert (await cliente.receive_json_from(timeout=FRAME_TIMEOUT))["message"] == first
        # sent again (say the answer was lost): the first one comes back, to the sender only
        await pro.send_json_to({"type": "message", "text": "¿Le viene bien el martes?", "client_id": again})
        assert (await pro.receive_json_from(timeout=FRAME_TIMEOUT)) == {"type": "message", "message": first}
        await pro.send_json_to({"type": "message", "text": "Hola", "client_id": "no-es-un-uuid"})
        refused = await pro.receive_json_from(timeout=FRAME_TIMEOUT)
        assert (refused["type"], list(refused["fields"])) == ("error", ["client_id"])
        # the second send pushed nothing: the other side's next frame is the next message
        await pro.send_json_to({"type": "message", "text": "Perfecto"})
        assert (await cliente.receive_json_from(timeout=FRAME_TIMEOUT))["message"]["text"] == "Perfecto"
        # twice in one batch: one row, the second handed the first back
        writer = chat_writer.writer()
        twice = str(uuid.uuid4())
        one, two = await asyncio.gather(
            *(
                writer.submit(
                    chat_id=uuid.UUID(pair.chat_id),
                    user_id=uuid.UUID(pair.cliente.user_id),
                    token=pair.cliente.access,
                    text=t,
                    client_id=uuid.UUID(twice),
                )
                for t in ("Sí, a la tarde", "Sí, a la tarde")
            )
        )
        assert (one.again, two.again, two.pk) == (False, True, one.pk)
        await pro.disconnect()
        await cliente.disconnect()
        return first

    first = async_to_sync(scenario)()

    sent_by_pro = Message.objects.filter(sender_id=pair.pro.session.user_id).order_by("created_at")
    assert [(m.text, m.client_id) for m in sent_by_pro] == [
        ("¿Le viene bien el martes?", uuid.UUID(again)),
        ("Perfecto", None),
    ]
    assert str(sent_by_pro[0].pk) == first["id"]
    assert Message.objects.filter(sender_id=pair.cliente.user_id).count() == 1
    assert len(published("marketplace.message_sent.v1", "marketplace")) == 3


@pytest.mark.parametrize(("how", "code"), [("logout", 4401), ("ban", 4403)])
def test_a_batch_stores_only_the_frames_whose_tokens_are_still_honoured(client, django_user_model, how, code):
    revoked, honoured = new_pair(client), new_pair(client)
    revocation(client, how, revoked.cliente, django_user_model)()
    frames = [  # one batch: two chats, the revoked token's frames among honoured ones
        (honoured, honoured.cliente, "Hola, ¿mañana a las 9?"),
        (revoked, revoked.cliente, "Hola, ¿sigue en pie?"),
        (revoked, revoked.pro.session, "Sí, claro"),
        (revoked, revoked.cliente, None),  # a read mark
        (honoured, honoured.pro.session, "Dale, ahí estoy"),
    ]

    async def scenario():
        writer = chat_writer.writer()
        pending = [
            writer.submit(chat_id=uuid.UUID(pair.chat_id), user_id=uuid.UUID(who.user_id), token=who.access, text=text)
            for pair, who, text in frames
        ]
        return await asyncio.gather(*pending)

    outcomes = async_to_sync(scenario)()

    assert [type(o).__name__ for o in outcomes] == ["Message", "SocketRefused", "Message", "SocketRefused", "Message"]
    assert [o.code for o in outcomes if isinstance(o, socket_access.SocketRefused)] == [code, code]
    assert not Message.objects.filter(sender_id=revoked.cliente.user_id).exists()
    assert [m.text for m in Message.objects.filter(chat_id=revoked.chat_id)] == ["Sí, claro"]
    assert Message.objects.filter(chat_id=honoured.chat_id).count() == 2


async def _communicator(chat_id, token) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/chat/{chat_id}/?token={token}")
    ok, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert ok
    assert (await communicator.receive_json_from(timeout=FRAME_TIMEOUT))["type"] == "ready"
    return communicator


# --- many sockets over two processes -----------------------------------------------------------------------


def _text(chat: int, side: int, n: int) -> str:
    # letters only: nothing for the contact shielding to look at
    return f"chat {'abcdefgh'[chat]} lado {'xy'[side]} mensaje {'abcdefghijklmnopqrstuvwxyz'[n]}"


def _connections_of(app_name: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname, count(*) FROM pg_stat_activity WHERE application_name = %s GROUP BY datname", [app_name]
        )
        return dict(cursor.fetchall())


@pytest.fixture
def servers(monkeypatch):
    """Two daphne processes, each with its own application_name (for pg_stat_activity)."""
    started, names = [], []
    try:
        for i in (1, 2):
            name = f"chat-batch-{i}-{uuid.uuid4().hex[:6]}"
            with monkeypatch.context() as env:
                env.setenv("PGAPPNAME", name)  # inherited by the server only; this process's are open
                started.append(Daphne(name).start())
            names.append(name)
        yield list(zip(started, names, strict=True))
    finally:
        for server in started:
            server.stop()


async def _converse(urls: list[list[str]], texts: list[list[list[str]]]) -> list[list[list[dict]]]:
    """Open every socket, send every socket's texts at once (no waiting between them), and read on
    each socket until its chat's every message has come; the messages each socket was shown."""
    sockets = []
    for chat_urls in urls:
        chat_sockets = []
        for url in chat_urls:
            ws = await connect(url, origin="http://127.0.0.1", open_timeout=FRAME_TIMEOUT, max_queue=None)
            assert json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))["type"] == "ready"
            chat_sockets.append(ws)
        sockets.append(chat_sockets)

    async def send_all(ws, lines):
        for line in lines:
            await ws.send(json.dumps({"type": "message", "text": line}))

    async def read_all(ws, expected: int) -> list[dict]:
        shown = []
        while len(shown) < expected:
            frame = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))
            assert frame["type"] == "message", frame
            shown.append(frame["message"])
        return shown

    readers = [
        [asyncio.create_task(read_all(ws, sum(map(len, texts[c])))) for ws in chat_sockets]
        for c, chat_sockets in enumerate(sockets)
    ]
    await asyncio.gather(*(send_all(ws, texts[c][s]) for c, chat in enumerate(sockets) for s, ws in enumerate(chat)))
    shown = [[await reader for reader in chat] for chat in readers]
    for chat in sockets:
        for ws in chat:
            await ws.close()
    return shown


def test_many_sockets_on_two_servers_store_every_frame_once_in_order_within_the_budget(client, servers):
    pairs = [new_pair(client) for _ in range(3)]
    (first, _), (second, _) = servers
    # Each chat's two sides on different servers: every message crosses the channel layer.
    urls = [
        [
            first.ws_url(f"/ws/chat/{p.chat_id}/?token={p.cliente.access}"),
            second.ws_url(f"/ws/chat/{p.chat_id}/?token={p.pro.session.access}"),
        ]
        for p in pairs
    ]
    texts = [[[_text(c, side, n) for n in range(PER_SOCKET)] for side in (0, 1)] for c in range(len(pairs))]

    shown = async_to_sync(_converse)(urls, texts)

    for c, pair in enumerate(pairs):
        stored = list(Message.objects.filter(chat_id=pair.chat_id).order_by("created_at", "id"))
        # exactly once: every text sent is one row, nothing else is
        assert sorted(m.text for m in stored) == sorted(texts[c][0] + texts[c][1])
        senders = [pair.cliente.user_id, pair.pro.session.user_id]
        for side in (0, 1):
            # each sender's frames stored in the order sent
            assert [m.text for m in stored if str(m.sender_id) == senders[side]] == texts[c][side]
        for socket_shown in shown[c]:
            # every socket shown every message once; each server's pushes leave in stored order, so
            # each sender's messages arrive in it; in created_at order (what a client sorts by,
            # since two servers' pushes may cross on the way) they are the stored order
            assert sorted(m["id"] for m in socket_shown) == sorted(str(m.pk) for m in stored)
            for sender in senders:
                mine = [str(m.pk) for m in stored if str(m.sender_id) == sender]
                assert [m["id"] for m in socket_shown if m["sender_id"] == sender] == mine
            by_time = sorted(socket_shown, key=lambda m: (m["created_at"], m["id"]))
            assert [m["id"] for m in by_time] == [str(m.pk) for m in stored]
    assert len(published("marketplace.message_sent.v1", "marketplace")) == 2 * PER_SOCKET * len(pairs)

    for server, name in servers:
        held = _connections_of(name)
        assert held, name  # the names reach pg_stat_activity: the check below means something
        assert max(held.values()) == 1, (name, held)
        # No connection left checked out by a thread: a request that needs one gets it at once
        # (a lost one made requests wait the pool's timeout, 10 s, then answer 503).
        response = httpx.get(f"{server.url}/api/v1/chat/list", headers=pairs[0].cliente.headers, timeout=8)
        assert response.status_code == 200, response.text
