"""Who has a chat socket open, so that a message to someone who is not looking becomes a push.

Design: one Redis sorted set per (chat, user) — `marketplace:presence:<chat>:<user>` — whose
members are the Channels channel names of that user's open sockets on that chat, scored with the
time each one stops counting (now + TTL). A socket adds itself on connect, re-scores itself on every
heartbeat (the consumer beats every TTL/3 seconds) and removes itself
on disconnect. "Online" means at least one member whose score is still in the future.

Why not a plain counter: a process that dies (deploy, OOM) never runs its disconnects, and a counter
would stay up forever; here its entries simply expire within TTL. Why not the channel layer's groups:
`RedisPubSubChannelLayer` does not expose group membership. Several tabs/devices are several members.
Without Redis (the development fallback) an in-process table keeps the same semantics for one process.
"""

from __future__ import annotations

import threading
import time
from functools import cache
from uuid import UUID

import redis
from django.conf import settings

TTL_SECONDS = 60
HEARTBEAT_SECONDS = TTL_SECONDS / 3


def _key(chat_id: UUID, user_id: UUID) -> str:
    return f"marketplace:presence:{chat_id}:{user_id}"


class RedisPresence:
    def __init__(self, client: redis.Redis):
        self.client = client

    def beat(self, key: str, member: str) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(key, {member: time.time() + TTL_SECONDS})
        pipe.expire(key, TTL_SECONDS * 2)  # the whole set goes once nobody beats
        pipe.execute()

    def leave(self, key: str, member: str) -> None:
        self.client.zrem(key, member)

    def online(self, key: str) -> bool:
        return self.client.zcount(key, time.time(), "+inf") > 0

    def online_many(self, keys: list[str]) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        now = time.time()
        for key in keys:
            pipe.zcount(key, now, "+inf")
        return [n > 0 for n in pipe.execute()]


class LocalPresence:
    def __init__(self):
        self._members: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def beat(self, key: str, member: str) -> None:
        with self._lock:
            self._members.setdefault(key, {})[member] = time.time() + TTL_SECONDS

    def leave(self, key: str, member: str) -> None:
        with self._lock:
            self._members.get(key, {}).pop(member, None)

    def online(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            return any(expiry > now for expiry in self._members.get(key, {}).values())

    def online_many(self, keys: list[str]) -> list[bool]:
        return [self.online(key) for key in keys]


def _store() -> RedisPresence | LocalPresence:
    return _store_at(settings.REDIS_URL or "")


@cache
def _store_at(url: str) -> RedisPresence | LocalPresence:
    # Keyed by the URL the settings name now, as the other Redis users of a process are.
    if url:
        return RedisPresence(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
    return LocalPresence()


def socket_opened(*, chat_id: UUID, user_id: UUID, channel_name: str) -> None:
    """On connect and on every heartbeat: this socket counts as present for another TTL."""
    _store().beat(_key(chat_id, user_id), channel_name)


def socket_closed(*, chat_id: UUID, user_id: UUID, channel_name: str) -> None:
    _store().leave(_key(chat_id, user_id), channel_name)


def is_online(*, chat_id: UUID, user_id: UUID) -> bool:
    """Best effort: if Redis cannot answer, say offline (a push too many beats a message missed)."""
    return online_many([(chat_id, user_id)])[0]


def online_many(pairs: list[tuple[UUID, UUID]]) -> list[bool]:
    """`is_online` for many (chat, user) pairs in one Redis round trip (a batch of messages)."""
    if not pairs:
        return []
    try:
        return _store().online_many([_key(chat_id, user_id) for chat_id, user_id in pairs])
    except redis.RedisError:
        return [False] * len(pairs)
