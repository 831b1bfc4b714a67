"""Fixed-window counters (lockouts, rate limits): count a hit on several keys and learn each one's
count and remaining window in a single Redis round trip.

Django's cache API would take four round trips per key for the same thing (its `incr` checks
existence first), which cost logins ~4 ms each here. Without Redis (the development fallback) an
in-process implementation keeps the same semantics for a single process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings


@dataclass(frozen=True)
class Hit:
    count: int
    retry_after: int  # seconds until the window that this count belongs to closes


class RedisWindowCounter:
    def __init__(self, client: redis.Redis):
        self.client = client

    def hit(self, keys: list[str], *, window: int) -> list[Hit]:
        pipe = self.client.pipeline(transaction=True)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)  # the first hit opens the window; later hits keep it
            pipe.ttl(key)
        results = pipe.execute()
        return [Hit(results[i * 3], max(1, results[i * 3 + 2])) for i in range(len(keys))]

    def release(self, *, forget: list[str] = (), give_back: list[str] = ()) -> None:
        pipe = self.client.pipeline(transaction=False)
        if forget:
            pipe.delete(*forget)
        for key in give_back:
            # Never below zero, never re-creating an expired key.
            pipe.eval("if redis.call('GET', KEYS[1]) then return redis.call('DECR', KEYS[1]) end", 1, key)
        pipe.execute()


class LocalWindowCounter:
    def __init__(self):
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def hit(self, keys: list[str], *, window: int) -> list[Hit]:
        now, hits = time.monotonic(), []
        with self._lock:
            for key in keys:
                count, closes = self._counts.get(key, (0, now + window))
                if closes <= now:
                    count, closes = 0, now + window
                self._counts[key] = (count + 1, closes)
                hits.append(Hit(count + 1, max(1, int(closes - now) + 1)))
        return hits

    def release(self, *, forget: list[str] = (), give_back: list[str] = ()) -> None:
        with self._lock:
            for key in forget:
                self._counts.pop(key, None)
            for key in give_back:
                if key in self._counts:
                    count, closes = self._counts[key]
                    self._counts[key] = (max(0, count - 1), closes)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


@cache
def window_counter() -> RedisWindowCounter | LocalWindowCounter:
    if settings.REDIS_URL:
        return RedisWindowCounter(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2))
    return LocalWindowCounter()
