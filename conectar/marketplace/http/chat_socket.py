"""The chat WebSocket: /ws/chat/{chat_id}/ (API.md).

- Auth: the access JWT in `?token=` or in `Sec-WebSocket-Protocol` — either the token alone, or a
  marker and the token (`bearer, <jwt>`); the chosen subprotocol is echoed on accept, as browsers
  require. Validated by auth_ctx (signature, expiry, revocation, banned accounts) through its facade.
- Close codes (after accepting, so browsers see them): 4401 no/invalid token, 4403 not a participant
  (an unknown chat too: its existence is not revealed), 4503 a backing service (Redis, PostgreSQL)
  is out of reach: connect again later.
- An open socket lives as long as its token is honoured (services.socket_access): it closes 4401
  when the token expires (a timer set from `exp` at connect) and, within a second, in every server
  process, when that token is logged out or the account's password is changed or reset; 4403 when
  the account is banned. A `message` or `read` frame is stored only after the token is checked
  again (by the writer, for its whole batch in one Redis round trip, right before storing it), and
  nothing is accepted once a close is under way.
- Storing (services.chat_writer): frames go to the process's batched writer and the socket reads on
  at once; a refusal comes back as an error frame (or the close). Database work never runs on
  Channels' single thread-sensitive thread: the connect path uses non-thread-sensitive threads that
  close their connections after each call, the writes the writer's lanes.
- Server → client frames: `{"type":"ready"}` once the socket is subscribed and counted as present,
  `{"type":"message","message":{…}}` for every new message of the chat
  (REST or socket, including the sender's own), `{"type":"read","receipt":{…}}` for read marks,
  `{"type":"error","code","detail","fields"?}` when a frame is refused (`service_unavailable`: not
  stored, send it again later; text with a NUL, absurd nesting, a binary or non-JSON frame: the
  platform's input rules, API.md § Conventions), `{"type":"pong"}`.
- Client → server frames: `{"type":"message","text":…,"client_id"?:…}` (stored through the very same
  service as REST: shielding, bans, events; `client_id`, a UUID the client makes, makes sending again
  safe: a message whose client id the sender used before in the chat is not stored again, the
  sender gets the stored one back, and pushes carry it), `{"type":"read"}` (mark read),
  `{"type":"ping"}`.
- Presence (services.presence): registered on connect, refreshed every HEARTBEAT_SECONDS by a task of
  the socket, removed on disconnect; it decides MessageSent.recipient_online. Frames do not beat: the
  task already does, and a Redis round trip per frame cost ~0.3 ms of a busy socket's CPU (bench/chat).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from urllib.parse import parse_qs
from uuid import UUID

import structlog
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conectar.marketplace.selectors import chat as chat_selectors
from conectar.marketplace.services import chat as chat_services
from conectar.marketplace.services import chat_writer, presence, realtime, socket_access
from conectar.platform.outages import BACKING_SERVICE_DOWN
from conectar.platform.request_input import loads_json
from conectar.shared.errors import DomainError, InvalidInput, NotAuthenticated, ServiceUnavailable

log = structlog.get_logger(__name__)

CLOSE_UNAUTHENTICATED = socket_access.CLOSE_UNAUTHENTICATED
CLOSE_FORBIDDEN = socket_access.CLOSE_FORBIDDEN
CLOSE_UNAVAILABLE = 4503
_TOKEN_MARKERS = {"bearer", "jwt", "token", "access_token", "authorization"}


def token_from_scope(scope) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo). The query string wins over the header."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token") and query["token"][0]:
        return query["token"][0], None
    offered = [p.strip() for p in scope.get("subprotocols") or [] if p.strip()]
    if len(offered) >= 2 and offered[0].lower() in _TOKEN_MARKERS:  # noqa: PLR2004 - marker + token
        return offered[1], offered[0]
    if len(offered) == 1 and offered[0].lower() not in _TOKEN_MARKERS:
        return offered[0], offered[0]
    return None, None


def in_thread(func):
    """`func` in one of the loop's threads, not Channels' single thread-sensitive one (which made
    every socket of the process wait for each other's round trips); the thread's connections are
    closed after each call, so a pooled one goes straight back (chat_writer.InThread)."""
    return chat_writer.InThread(func)


def _claims(token: str):
    return chat_services.socket_claims(token)


def _participant(chat_id: UUID, user_id: UUID) -> bool:
    try:
        chat_selectors.chat_for_participant(chat_id, user_id)
    except DomainError:
        return False
    return True


class ChatConsumer(AsyncJsonWebsocketConsumer):
    chat_id: UUID | None = None
    user_id: UUID | None = None
    token: str | None = None
    _heartbeat: asyncio.Task | None = None
    _expiry: asyncio.Task | None = None
    _closing: int | None = None  # the close code, once the socket's credential is gone
    _gone: bool = False  # the client left: nothing more to send

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._answers: set[asyncio.Task] = set()  # refusals being answered (kept from the GC)

    async def dispatch(self, message):
        # Channels runs close_old_connections on its single thread-sensitive thread before every
        # handler: a hop to that one thread per frame and per push, for every socket of the process
        # (bench/chat's profile). This consumer's database work never runs there (in_thread and the
        # writer close their own threads' connections), so its handlers run straight away.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        token, subprotocol = token_from_scope(self.scope)
        await self.accept(subprotocol=subprotocol)
        try:
            await self._join(token)
        except BACKING_SERVICE_DOWN as exc:
            log.warning("chat.socket_unavailable", error=repr(exc))
            self.chat_id = None  # not counted as present: nothing to undo on disconnect
            await self.close(code=CLOSE_UNAVAILABLE)

    async def _join(self, token: str | None):
        claims = await in_thread(_claims)(token) if token else None
        if claims is None or not claims.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        chat_id = self.scope["url_route"]["kwargs"]["chat_id"]
        if not await in_thread(_participant)(chat_id, claims.user_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.chat_id, self.user_id, self.token = chat_id, claims.user_id, token
        await self.channel_layer.group_add(realtime.group_name(chat_id), self.channel_name)
        await self.channel_layer.group_add(socket_access.account_group(claims.user_id), self.channel_name)
        # Checked again now that the account's messages reach this socket: a revocation committed
        # between the first check and joining the account's group told nobody.
        code = await in_thread(socket_access.refusal)(token=token, user_id=claims.user_id)
        if code is not None:
            await self._shut(code)
            return
        if claims.expires_at is not None:
            self._expiry = asyncio.create_task(self._close_at(claims.expires_at))
        await self._beat()
        self._heartbeat = asyncio.create_task(self._keep_alive())
        # Only now is the socket in the chat's group and counted as present: a client that waits for
        # this frame misses no message sent after it (earlier ones it reads from GET /chat/messages).
        await self.send_json({"type": "ready", "chat_id": str(chat_id), "user_id": str(claims.user_id)})

    async def disconnect(self, code):
        self._gone = True
        for task in (self._heartbeat, self._expiry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.chat_id is None:
            return
        await self.channel_layer.group_discard(realtime.group_name(self.chat_id), self.channel_name)
        await self.channel_layer.group_discard(socket_access.account_group(self.user_id), self.channel_name)
        await in_thread(presence.socket_closed)(
            chat_id=self.chat_id, user_id=self.user_id, channel_name=self.channel_name
        )

    async def _beat(self):
        await in_thread(presence.socket_opened)(
            chat_id=self.chat_id, user_id=self.user_id, channel_name=self.channel_name
        )

    async def _close_at(self, expires_at: datetime):
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        await self._shut(CLOSE_UNAUTHENTICATED)

    async def _shut(self, code: int):
        """Close once; from here on no frame is accepted and nothing more is pushed."""
        if self._closing is None:
            self._closing = code
            await self.close(code=code)

    async def _keep_alive(self):
        while True:
            await asyncio.sleep(presence.HEARTBEAT_SECONDS)
            try:
                await self._beat()
            except Exception:  # noqa: BLE001 - Redis blip: try again at the next beat
                log.warning("chat.presence_beat_failed", chat_id=str(self.chat_id))

    # --- client → server ---------------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if self.chat_id is None or self._closing is not None:
            return  # not joined, or closing: the frame is dropped, nothing stored
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if isinstance(content, DomainError):  # refused by the platform's input rules (decode_json)
                raise content
            if kind == "message":
                text = content.get("text")
                chat_services.clean_text(text)  # refused at once, without a trip to the writer
                self._store(text, chat_services.clean_client_id(content.get("client_id")))
            elif kind in {"read", "mark_read"}:
                self._store(None)
            elif kind == "ping":
                await self.send_json({"type": "pong"})
            else:
                raise InvalidInput("Tipo de mensaje desconocido.", fields={"type": ["Usá message, read o ping."]})
        except DomainError as exc:
            await self._send_error(exc)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A binary or empty frame is an unknown frame (channels' default raises, closing with 1011).
        await self.receive_json(await self.decode_json(text_data) if text_data else None, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return loads_json(text_data)  # the HTTP routes' rules: no NUL, no absurd nesting
        except DomainError as exc:
            return exc  # answered as an error frame by receive_json
        except ValueError:
            return None  # answered as an unknown frame

    def _store(self, text: str | None, client_id: UUID | None = None) -> None:
        """Hand the frame to the writer and read on: its outcome is answered when it comes. The
        writer checks the token with the frame's batch, after the frame arrived, so a frame that
        overtakes its revocation's message is refused; it keeps this socket's frames in the order
        they were handed over."""
        done = chat_writer.writer().submit(
            chat_id=self.chat_id, user_id=self.user_id, token=self.token, text=text, client_id=client_id
        )
        done.add_done_callback(self._stored)

    def _stored(self, done: asyncio.Future) -> None:
        outcome = done.result()
        if getattr(outcome, "again", False):  # its client id was stored before: that message, to the sender
            self._answer(self.send_json({"type": "message", "message": realtime.message_body(outcome)}))
        elif isinstance(outcome, BaseException):  # a refusal, or a failed batch
            self._answer(self._refused(outcome))

    def _answer(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    async def _refused(self, outcome: BaseException) -> None:
        if self._closing is not None or self._gone:
            return
        if isinstance(outcome, socket_access.SocketRefused):
            await self._shut(outcome.code)
        elif isinstance(outcome, NotAuthenticated):
            await self._shut(CLOSE_UNAUTHENTICATED)
        elif isinstance(outcome, DomainError):
            await self._send_error(outcome)
        else:
            # Nothing of the batch was stored, so sending again later cannot make a duplicate.
            if isinstance(outcome, BACKING_SERVICE_DOWN):
                log.warning("chat.frame_unavailable", chat_id=str(self.chat_id), error=repr(outcome))
            else:
                log.error("chat.batch_failed", chat_id=str(self.chat_id), exc_info=outcome)
            await self._send_error(ServiceUnavailable())

    async def _send_error(self, exc: DomainError) -> None:
        error = {"type": "error", "code": exc.code, "detail": exc.detail}
        if isinstance(exc, InvalidInput) and exc.fields:
            error["fields"] = exc.fields
        await self.send_json(error)

    # --- channel layer → client ----------------------------------------------------------------------

    async def chat_message(self, event):
        if self._closing is None:
            await self.send_json({"type": "message", "message": event["message"]})

    async def chat_read(self, event):
        if self._closing is None:
            await self.send_json({"type": "read", "receipt": event["receipt"]})

    async def account_credentials_changed(self, event):  # socket_access.CHECK_MESSAGE
        if self._closing is not None:
            return
        try:
            code = await in_thread(socket_access.refusal)(token=self.token, user_id=self.user_id)
        except BACKING_SERVICE_DOWN as exc:  # cannot tell: closed, the reconnect is checked afresh
            log.warning("chat.socket_check_unavailable", chat_id=str(self.chat_id), error=repr(exc))
            code = CLOSE_UNAVAILABLE
        if code is not None:
            await self._shut(code)
