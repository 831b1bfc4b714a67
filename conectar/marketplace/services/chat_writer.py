"""The chat sockets' writes, batched: one writer per server process (per event loop), whose lanes
store whatever frames arrived while the previous batch was being written in one transaction.

Why: every socket's database work used to go, one frame at a time, through Channels' single
thread-sensitive executor thread — one PostgreSQL and Redis round trip after another for every
socket of the process (bench/chat: 76 % of the profile). Here the work of many sockets shares one
transaction (`chat.messages_send`: one locking query, one INSERT of the messages, one of their
events, one presence pipeline, one COMMIT), and nothing waits on that one thread.

- Lanes: as many as the process may hold connections to the marketplace database (DB_POOL_SIZE,
  the connection budget); each runs one batch at a time in a thread of the writer's own pool.
- Order per chat: a chat always goes to the same lane (hash of its id), which takes frames in the
  order they reached this process and stores each batch in that order; its pushes leave in that
  order too, after the commit, from the event loop.
- Exactly once: a frame is in exactly one batch, and a batch commits or rolls back whole; a
  refused frame (ban, bad text) refuses that frame alone. A frame sent again with the same
  `client_id` (after service_unavailable, or a reconnect that lost the push) is stored once: the
  sender gets the first one back (unique (chat, sender, client_id)).
- Connection hygiene (`InThread`): the lane's thread closes its connections after every batch, so
  a pooled connection is back in the pool as soon as the batch ends — never held by an idle thread.
- Revocation: a batch first checks the tokens its frames came with (socket_access.refusals: one
  Redis round trip for the batch, after every frame of it arrived); a frame whose token is no longer
  honoured is not stored and gets `SocketRefused` (its socket closes).
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from uuid import UUID

import structlog
from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connections

from conectar.marketplace.models import Message
from conectar.marketplace.services import chat as chat_services
from conectar.marketplace.services import realtime, socket_access
from conectar.platform.databases import alias_for
from conectar.shared.errors import DomainError

log = structlog.get_logger(__name__)
MAX_BATCH = 256  # frames per transaction: bounds one batch's time and one INSERT's size


@dataclass(eq=False)
class Frame:
    """One socket frame waiting for its lane: a message (`text`) or a read mark (`text` None)."""

    chat_id: UUID
    user_id: UUID
    token: str  # the socket's access token, checked again with the batch
    text: str | None
    client_id: UUID | None
    done: asyncio.Future = field(repr=False)


def lanes_allowed() -> int:
    """The marketplace connections this process may hold: the pool's size (1 in production)."""
    pool = settings.DATABASES[alias_for("marketplace")].get("OPTIONS", {}).get("pool")
    return max(1, int(pool["max_size"])) if isinstance(pool, dict) else 1


class _Lane:
    def __init__(self, writer: ChatWriter):
        self.writer = writer
        self.waiting: deque[Frame] = deque()
        self.draining: asyncio.Task | None = None
        self.pushing: asyncio.Task | None = None

    def add(self, frame: Frame) -> None:
        self.waiting.append(frame)
        if self.draining is None or self.draining.done():
            self.draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self.waiting:
            batch = [self.waiting.popleft() for _ in range(min(MAX_BATCH, len(self.waiting)))]
            try:
                outcomes = await self.writer.store(_store_batch)(batch)
            except Exception as exc:  # noqa: BLE001 - the whole batch failed (outage): each frame is told
                outcomes = [exc] * len(batch)
            pushes = []
            for frame, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Message) and not outcome.again:
                    pushes.append(outcome)
                if not frame.done.done():
                    frame.done.set_result(outcome)
            if pushes:
                self.pushing = asyncio.get_running_loop().create_task(_push_after(self.pushing, pushes))


async def _push_after(previous: asyncio.Task | None, messages: list) -> None:
    """The batch's messages to their chats' sockets, after the previous batch's (order per chat)."""
    if previous is not None:
        await asyncio.gather(previous, return_exceptions=True)
    layer = get_channel_layer()
    if layer is None:
        return
    for message in messages:
        try:
            await layer.group_send(realtime.group_name(message.chat_id), realtime.message_event(message))
        except Exception:  # stored; only the live delivery failed (realtime's rule)
            log.exception("chat.push_failed", chat_id=str(message.chat_id))


def _store_batch(batch: list[Frame]) -> list:
    """In a lane's thread: the batch's messages and read marks, in order, those of honoured tokens."""
    outcomes: list = [None] * len(batch)
    codes = socket_access.refusals([(frame.token, frame.user_id) for frame in batch])
    honoured = []
    for i, code in enumerate(codes):
        if code is None:
            honoured.append(i)
        else:
            outcomes[i] = socket_access.SocketRefused(code)
    # Consecutive messages are stored together; a read mark between them keeps its place.
    for is_message, group in itertools.groupby(honoured, key=lambda i: batch[i].text is not None):
        indexes = list(group)
        if is_message:
            items = [
                chat_services.Outgoing(batch[i].chat_id, batch[i].user_id, batch[i].text, batch[i].client_id)
                for i in indexes
            ]
            for i, result in zip(indexes, chat_services.messages_send(items), strict=True):
                outcomes[i] = result
        else:
            for i in indexes:
                outcomes[i] = _read_mark(batch[i])
    return outcomes


def _read_mark(frame: Frame):
    try:
        return chat_services.chat_mark_read(chat_id=frame.chat_id, user_id=frame.user_id)
    except DomainError as exc:
        return exc


class InThread(SyncToAsync):
    """A sync function run off the event loop in a non-thread-sensitive thread, whose database
    connections are all closed when it returns — with a pool (production) that hands them back at
    once, so no idle thread ever keeps one checked out (what starves the other threads of a process
    whose budget is one connection per database: they wait DB_POOL_TIMEOUT_SECONDS, then 503)."""

    def __init__(self, func: Callable, executor: ThreadPoolExecutor | None = None):
        super().__init__(func, thread_sensitive=False, executor=executor)

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            connections.close_all()


class ChatWriter:
    def __init__(self, lanes: int):
        self.lanes = [_Lane(self) for _ in range(lanes)]

    def store(self, work: Callable) -> Callable:
        return InThread(work, executor=_executor())

    def submit(
        self, *, chat_id: UUID, user_id: UUID, token: str, text: str | None, client_id: UUID | None = None
    ) -> asyncio.Future:
        """Queue a frame; the future gets the stored Message (`again` when its client id was stored
        before: not pushed again) or ReadState, the DomainError that refused it, SocketRefused when
        `token` is no longer honoured, or the exception that failed its whole batch (a backing
        service out of reach: nothing of it was stored)."""
        loop = asyncio.get_running_loop()
        frame = Frame(chat_id, user_id, token, text, client_id, loop.create_future())
        self.lanes[chat_id.int % len(self.lanes)].add(frame)
        return frame.done


_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def writer() -> ChatWriter:
    """This event loop's writer (a server has one loop; tests run several, one after another)."""
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = ChatWriter(lanes_allowed())
    return _writers[loop]


@cache
def _executor() -> ThreadPoolExecutor:
    """The lanes' threads, one per lane at most (each runs one batch at a time), shared by every
    loop of the process."""
    return ThreadPoolExecutor(max_workers=lanes_allowed(), thread_name_prefix="chat-writer")
