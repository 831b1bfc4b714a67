"""Redis counters, each one round trip: fixed windows (lockouts) and token buckets (rate limits).

- Fixed-window counters: count a hit on several keys and learn each one's count and remaining
  window. Django's cache API would take four round trips per key for the same thing (its `incr`
  checks existence first), which cost logins ~4 ms each here.
- Token buckets (GCRA, the "generic cell rate algorithm"): `limit` requests per `period`, refilled
  continuously, so a burst of `limit` is allowed and then one request every `period / limit`
  seconds — no doubled burst at a window edge as with fixed windows, and one key of one number per
  caller instead of a log of timestamps. The decision runs in a Lua script on Redis's own clock
  (atomic; every web process shares one bucket).

Without Redis (the development fallback) in-process implementations keep the same semantics for a
single process.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass
from functools import cache, lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry


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


# --- token buckets (GCRA) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    allowed: bool
    limit: int
    remaining: int  # requests still allowed right now
    retry_after: float  # seconds until one more request is allowed (0 when this one was)
    reset_after: float  # seconds until the bucket is full again


# The bucket at `key`: `period` in microseconds, `limit` requests. The key holds the bucket's
# "theoretical arrival time" (TAT, µs): full when TAT <= now; each request pushes it by period/limit;
# a request is refused while the pushed TAT would lie more than one period ahead.
_GCRA_FUNCTION = """
local function gcra(key, period, limit)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  period = tonumber(period)
  local interval = period / tonumber(limit)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then
    return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
  end
  redis.call('SET', key, string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
  return {1, math.floor((now - allow_at) / interval + 1e-6), 0, math.ceil(new_tat - now)}
end
"""
# KEYS[1]: the bucket; ARGV[1]: period in microseconds; ARGV[2]: limit.
_GCRA = _GCRA_FUNCTION + "return gcra(KEYS[1], ARGV[1], ARGV[2])"
# The same, plus reads that ride along in the same round trip: the fields ARGV[3..] of the hash
# KEYS[2] and the string KEYS[3] (the gateway reads a token's standing with its rate limit).
_GCRA_AND_READ = (
    _GCRA_FUNCTION
    + """
local quota = gcra(KEYS[1], ARGV[1], ARGV[2])
quota[5] = redis.call('HMGET', KEYS[2], unpack(ARGV, 3))
quota[6] = redis.call('GET', KEYS[3])
return quota
"""
)
_US = 1_000_000


def _quota(limit: int, allowed: int, remaining: int, retry_us: float, reset_us: float) -> Quota:
    return Quota(bool(allowed), limit, int(remaining), retry_us / _US, reset_us / _US)


class LuaScript:
    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


class ThreadConnection:
    """Lua scripts run by EVALSHA on a Redis connection of the calling thread's own (EVAL once when
    Redis lost the script), with one immediate retry on a dropped connection.

    The rate limiter runs one on every request: redis-py's path (Script, execute_command, the retry
    wrapper, a pool checkout with its readability probe and argument checks) cost about as much
    client CPU as the round trip itself (gateway profile). A connection per thread needs no checkout:
    a thread never has two calls in flight, and a failed call disconnects, so nothing unread is left
    on it for the next."""

    def __init__(self, client: redis.Redis):
        pool = client.connection_pool
        self._new = lambda: pool.connection_class(**pool.connection_kwargs)
        self._local = threading.local()

    def run(self, script: LuaScript, keys: list[str], args: list) -> list:
        for attempt in range(2):
            connection = self.connection()
            try:
                try:
                    connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
                    return connection.read_response()
                except NoScriptError:  # a flushed or restarted Redis: EVAL caches it again
                    connection.send_command("EVAL", script.source, len(keys), *keys, *args)
                    return connection.read_response()
            except (redis.ConnectionError, redis.TimeoutError):
                connection.disconnect()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def connection(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a forked child never shares its parent's socket
            local.connection, local.pid = self._new(), os.getpid()
        return local.connection


_GCRA_SCRIPT, _GCRA_AND_READ_SCRIPT = LuaScript(_GCRA), LuaScript(_GCRA_AND_READ)


class RedisTokenBucket:
    def __init__(self, client: redis.Redis):
        self.redis = ThreadConnection(client)

    def take(self, key: str, *, limit: int, period: float) -> Quota:
        result = self.redis.run(_GCRA_SCRIPT, [key], [int(period * _US), limit])
        return _quota(limit, *result)

    def take_and_read(
        self, key: str, *, limit: int, period: float, hash_key: str, fields: list[str], string_key: str
    ) -> tuple[Quota, list[bytes | None], bytes | None]:
        """`take`, and in the same round trip `HMGET hash_key *fields` and `GET string_key`."""
        result = self.redis.run(_GCRA_AND_READ_SCRIPT, [key, hash_key, string_key], [int(period * _US), limit, *fields])
        return _quota(limit, *result[:4]), result[4], result[5]


class LocalTokenBucket:
    _PURGE_ABOVE = 10_000  # development only, but no unbounded growth either

    def __init__(self):
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, *, limit: int, period: float) -> Quota:
        now, period_us = time.time() * _US, period * _US
        interval = period_us / limit
        with self._lock:
            if len(self._tats) > self._PURGE_ABOVE:
                self._tats = {k: v for k, v in self._tats.items() if v > now}
            tat = max(self._tats.get(key, now), now)
            new_tat = tat + interval
            allow_at = new_tat - period_us
            if now < allow_at:
                return _quota(limit, 0, 0, math.ceil(allow_at - now), math.ceil(tat - now))
            self._tats[key] = new_tat
        return _quota(limit, 1, math.floor((now - allow_at) / interval + 1e-6), 0, math.ceil(new_tat - now))

    def clear(self) -> None:
        with self._lock:
            self._tats.clear()


@lru_cache(maxsize=8)
def token_bucket(redis_url: str, *, timeout: float) -> RedisTokenBucket | LocalTokenBucket:
    """The buckets at `redis_url` (a client per URL and process), or in-process ones without a URL.

    One immediate retry (a pooled connection Redis closed meanwhile), not redis-py's default of ten
    with backoff: a caller that fails open wants to know at once."""
    if redis_url:
        client = redis.Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1)
        )
        return RedisTokenBucket(client)
    return LocalTokenBucket()
