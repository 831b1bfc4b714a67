"""An access token's standing (is its account still active, is the token's version still current, was
it logged out) read from Redis, so an authenticated request runs no SQL.

auth_ctx owns the truth: the account row (token version, active flag, role, staff status) and the
denied jtis of logged-out tokens, in its database. This module keeps a copy per account in Redis:

- `auth:standing:<account>`: a hash, field `s` = "token_version|active|role|staff" and one field
  `d:<jti>` per denied jti of the account. Filled read-through from the database on a miss (the
  caller reads it, `fill` stores it), it lives `TOKEN_STANDING_TTL_SECONDS` (60 s).
- `auth:standing-gen:<account>`: a random value that every write replaces.

Exact on ban, password change and logout (the very next request sees them):
- a writer (auth_ctx's services) calls `forget` inside its transaction (new generation, hash
  deleted; with Redis out of reach this raises and the write rolls back, so nothing changes that a
  cached copy could contradict once Redis is back) and again after its commit;
- a reader that missed fills only if the generation it saw *with its miss* is still current and the
  hash is still absent (SET NX): a reader whose SQL ran before a writer's commit either fills before
  the writer's post-commit `forget` (which deletes it) or finds the generation changed (fills nothing);
- the TTL only bounds what the protocol cannot see (a writer whose post-commit step failed because
  Redis went away between its two steps; a row changed by hand in SQL);
- a flushed or restarted Redis holds nothing, so the next request reads the database: a flush
  revives no token.

The read rides in the rate limiter's round trip when the limiter runs (`ratelimit` stores it on the
request, `prefetched` finds it), so an authenticated request makes one Redis call for both.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

_STANDING = "auth:standing:"
_GENERATION = "auth:standing-gen:"
_GENERATION_TTL_MS = 24 * 3600 * 1000  # far longer than any reader takes between its miss and its fill
_REQUEST_ATTRIBUTE = "_token_standing"


@dataclass(frozen=True)
class Standing:
    """The account's side of every token check, plus what routes read of the caller."""

    token_version: int
    is_active: bool
    role: str
    is_staff: bool

    def encode(self) -> str:
        return f"{self.token_version}|{int(self.is_active)}|{self.role}|{int(self.is_staff)}"

    @classmethod
    def decode(cls, raw: bytes) -> Standing:
        version, active, role, staff = raw.decode().split("|")
        return cls(int(version), active == "1", role, staff == "1")


@dataclass(frozen=True)
class StandingRead:
    """One read for (account, jti): the cached standing (None on a miss), whether the cache knows
    the jti as denied, and the generation seen with it (what a fill after a miss must still find)."""

    user_id: str
    jti: str
    standing: Standing | None
    denied: bool
    generation: bytes | None


def keys(user_id: str) -> tuple[str, str]:
    """The standing hash's key and the generation's key of an account."""
    return _STANDING + user_id, _GENERATION + user_id


def fields(jti: str) -> list[str]:
    """The hash fields one token check reads."""
    return ["s", "d:" + jti]


def decoded(user_id: str, jti: str, values: list[bytes | None], generation: bytes | None) -> StandingRead:
    standing, denied = values
    return StandingRead(user_id, jti, Standing.decode(standing) if standing else None, bool(denied), generation)


# --- one request's read, made by the rate limiter ------------------------------------------------------


def remember(request, read: StandingRead) -> None:
    setattr(request, _REQUEST_ATTRIBUTE, read)


def prefetched(request, user_id: str, jti: str) -> StandingRead | None:
    """The read the rate limiter made for this very token, if it made one."""
    read = getattr(getattr(request, "_request", request), _REQUEST_ATTRIBUTE, None)  # DRF wraps the request
    if read is not None and read.user_id == user_id and read.jti == jti:
        return read
    return None


# --- the store ------------------------------------------------------------------------------------------

# KEYS[1] standing hash, KEYS[2] generation; ARGV[1] the jti's field.
_READ = "return {redis.call('HMGET', KEYS[1], 's', ARGV[1]), redis.call('GET', KEYS[2])}"
# KEYS as above; ARGV[1] generation seen with the miss ('' for none), ARGV[2] TTL ms, ARGV[3] the
# encoded standing, ARGV[4..] denied jtis. Fills only if nothing changed since the miss.
_FILL = """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[3])
for i = 4, #ARGV do redis.call('HSET', KEYS[1], 'd:' .. ARGV[i], '1') end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
# KEYS as above; ARGV[1] a fresh generation, ARGV[2] its TTL ms.
_FORGET = "redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]); return redis.call('DEL', KEYS[1])"


class StandingStore:
    def __init__(self, client: redis.Redis):
        self.client = client
        self._read = client.register_script(_READ)
        self._fill = client.register_script(_FILL)
        self._forget = client.register_script(_FORGET)

    def read(self, user_id: str, jti: str) -> StandingRead:
        values, generation = self._read(keys=keys(user_id), args=[fields(jti)[1]])
        return decoded(user_id, jti, values, generation)

    def read_many(self, tokens: list[tuple[str, str]]) -> list[StandingRead]:
        """`read` for many (account, jti) pairs in one round trip: each pair's two reads inside
        MULTI/EXEC, so each generation is seen with its own hash, as `_READ` sees them."""
        pipe = self.client.pipeline(transaction=True)
        for user_id, jti in tokens:
            standing_key, generation_key = keys(user_id)
            pipe.hmget(standing_key, fields(jti))
            pipe.get(generation_key)
        replies = pipe.execute()
        return [decoded(user_id, jti, replies[2 * i], replies[2 * i + 1]) for i, (user_id, jti) in enumerate(tokens)]

    def fill(self, miss: StandingRead, standing: Standing, denied_jtis: list[str]) -> bool:
        ttl_ms = int(float(getattr(settings, "TOKEN_STANDING_TTL_SECONDS", 60)) * 1000)
        seen = miss.generation or b""
        return bool(self._fill(keys=keys(miss.user_id), args=[seen, ttl_ms, standing.encode(), *denied_jtis]))

    def forget(self, user_id: str) -> None:
        self._forget(keys=keys(user_id), args=[secrets.token_hex(8), _GENERATION_TTL_MS])


@lru_cache(maxsize=8)
def _store_at(url: str) -> StandingStore:
    # One immediate retry (a pooled connection Redis closed meanwhile), then the caller's 503.
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1))
    return StandingStore(client)


def store() -> StandingStore | None:
    """The store on this process's Redis (`REDIS_URL`); None without Redis (development), where every
    check reads the database."""
    return _store_at(settings.REDIS_URL) if settings.REDIS_URL else None
