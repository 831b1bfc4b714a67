"""An open chat socket lives only as long as its credential, against the real ASGI application and
the real Redis channel layer (in this process; tests/marketplace/test_chat_socket_revocation_live.py
does it across two daphne processes with a real worker, timed):

- a frame that reaches the socket after a logout, a password change or reset or a ban is refused,
  nothing is stored, and the socket closes with that revocation's code;
- the revocation's event, handled by the marketplace, closes without any frame every socket of that
  account whose token it revoked (a logout: that session's; the others: all), and no other;
- the socket closes 4401 when its token expires."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from conectar.asgi import application
from tests.marketplace.helpers import new_pair, send
from tests.marketplace.revocations import REVOCATIONS, expiring_token, nothing_stored_for, revocation
from tests.support.accounts import login
from tests.support.events import deliver_outbox

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
TIMEOUT = 5  # a ceiling for frames that must come


async def connected(chat_id, token) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/chat/{chat_id}/?token={token}")
    ok, _ = await communicator.connect(timeout=TIMEOUT)
    assert ok
    frame = await communicator.receive_json_from(timeout=TIMEOUT)
    assert frame["type"] == "ready", frame
    return communicator


async def close_code(communicator, *, within: float = TIMEOUT) -> int:
    """The close the socket ends with (frames pushed before it are skipped); then the client leaves."""
    deadline = time.monotonic() + within
    while True:
        output = await communicator.receive_output(timeout=max(0.01, deadline - time.monotonic()))
        if output["type"] == "websocket.close":
            await communicator.disconnect()
            return output["code"]


@pytest.mark.parametrize("how", REVOCATIONS)
def test_a_frame_after_a_revocation_is_refused_not_stored_and_the_socket_closes(client, django_user_model, how):
    pair = new_pair(client)
    send(client, pair.pro, pair.chat_id, "¿Le viene bien el martes?")  # unread: a read frame would store a mark
    revoke = revocation(client, how, pair.cliente, django_user_model)

    async def scenario():
        reader = await connected(pair.chat_id, pair.cliente.access)
        writer = await connected(pair.chat_id, pair.cliente.access)
        await sync_to_async(revoke)()
        # Sent at once: with a worker about, these frames race the revocation's event; they lose either way.
        await reader.send_json_to({"type": "read"})
        await writer.send_json_to({"type": "message", "text": "Sí, el martes"})
        assert await close_code(reader) == REVOCATIONS[how]
        assert await close_code(writer) == REVOCATIONS[how]

    async_to_sync(scenario)()
    assert nothing_stored_for(pair)


@pytest.mark.parametrize("how", REVOCATIONS)
def test_the_revocation_event_closes_the_revoked_sockets_of_that_account_and_no_other(client, django_user_model, how):
    """No frame needed: the event closes them. A logout ends one session, so a socket of the same
    account's other session stays open; the others kill every earlier token of the account — but
    not the one a password change answers with."""
    pair = new_pair(client)
    other_session = login(client, pair.cliente.email).json()["access_token"]
    revoke = revocation(client, how, pair.cliente, django_user_model)

    async def scenario():
        first = await connected(pair.chat_id, pair.cliente.access)
        second = await connected(pair.chat_id, pair.cliente.access)
        elsewhere = await connected(pair.chat_id, other_session)
        pro = await connected(pair.chat_id, pair.pro.session.access)
        response = await sync_to_async(revoke)()
        fresh = await connected(pair.chat_id, response.json()["access_token"]) if how == "password_change" else None
        await sync_to_async(deliver_outbox)(to={"marketplace"})  # the marketplace's handlers, here and now
        for communicator in (first, second):
            assert await close_code(communicator) == REVOCATIONS[how]
        if fresh is not None:
            await fresh.send_json_to({"type": "ping"})
            assert (await fresh.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
            await fresh.disconnect()
        if how == "logout":
            await elsewhere.send_json_to({"type": "ping"})
            assert (await elsewhere.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
            await elsewhere.disconnect()
        else:
            assert await close_code(elsewhere) == REVOCATIONS[how]
        await pro.send_json_to({"type": "message", "text": "¿Sigue ahí?"})
        frame = await pro.receive_json_from(timeout=TIMEOUT)
        assert (frame["type"], frame["message"]["text"]) == ("message", "¿Sigue ahí?")
        await pro.disconnect()

    async_to_sync(scenario)()


def test_a_socket_closes_4401_when_its_token_expires(client):
    pair = new_pair(client)
    token, exp = expiring_token(pair.cliente.access, seconds=2)

    async def scenario():
        communicator = await connected(pair.chat_id, token)
        await communicator.send_json_to({"type": "ping"})
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
        assert await close_code(communicator, within=exp - time.time() + 1) == 4401  # within 1 s of `exp`

    async_to_sync(scenario)()
