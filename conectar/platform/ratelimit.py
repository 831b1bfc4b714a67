"""Rate limiting at the gateway: token buckets in Redis, per caller and per class of route.

- **Classes** (`settings.RATELIMIT["CLASSES"]`): each its own `limit` requests per `window` seconds
  (GCRA token bucket, `conectar.platform.counters`): a burst of `limit`, then one request every
  `window / limit` seconds. `RATELIMIT["RULES"]` is the one table mapping a request to its class:
  `(method, path prefix, content-type prefix, class)`, first match wins ("*" any method, "" any
  content type); a request no rule matches (health checks, `/metrics`, static files) is not limited.
- **Caller**: the user id of a valid access token (signature, algorithm, expiry and type checked
  here, `platform.auth.access_claims` — no database; revocation is the framework's auth's, later,
  but its read of the token's standing rides in this call's round trip: `token_standing`), else the
  client IP (`REMOTE_ADDR`; behind `TRUSTED_PROXY_COUNT` proxies, the `X-Forwarded-For` entry the
  outermost of them wrote; IPv6 callers by /64, what one host usually holds). An invalid, expired
  or forged token is keyed by IP, so made-up tokens cannot mint fresh buckets.
- **Answer**: every limited request carries `RateLimit-Limit`, `RateLimit-Remaining` and
  `RateLimit-Reset` (seconds until the bucket is full again); a refused one is a 429 with
  `Retry-After` and the one error body (`code: "rate_limited"`), and never reaches the view.
- **Redis unreachable: fail open.** The request is served unlimited (a limiter outage must not
  become an API outage), `conectar_ratelimit_redis_errors_total` counts every such request (the
  alarm metric) and a warning is logged per failed Redis call. Calls go through the `ratelimit`
  circuit breaker (`conectar.platform.breakers`), so while Redis is down requests skip it instead
  of each waiting for its timeout; a trial call after the breaker's reset timeout closes it again.
- Without any Redis URL (development without Redis) the buckets are in-process, per process.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from functools import cache

import redis
import structlog
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from prometheus_client import Counter
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from conectar.platform import breakers, token_standing
from conectar.platform.auth import bearer_claims
from conectar.platform.counters import Quota, RedisTokenBucket, token_bucket
from conectar.platform.http_errors import domain_error_response
from conectar.shared.errors import RateLimited

log = structlog.get_logger(__name__)

REDIS_ERRORS = Counter(
    "conectar_ratelimit_redis_errors_total",
    "Requests served without rate limiting because the limiter's Redis was unreachable (fail open).",
)
BREAKER = "ratelimit"
_KEY_PREFIX = "rl:"


@dataclass(frozen=True)
class Rule:
    method: str  # upper case, or "*"
    prefix: str
    content_type: str  # prefix of the request's content type, or ""
    klass: str

    def matches(self, method: str, path: str, content_type: str) -> bool:
        return (
            self.method in ("*", method) and path.startswith(self.prefix) and content_type.startswith(self.content_type)
        )


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    limits: dict[str, tuple[int, float]]  # class -> (limit, window seconds)
    redis_url: str
    timeout: float
    trusted_proxies: int

    def classify(self, request) -> str | None:
        method, path, content_type = request.method, request.path_info, request.META.get("CONTENT_TYPE", "")
        for rule in self.rules:
            if rule.matches(method, path, content_type):
                return rule.klass
        return None


@cache
def policy() -> Policy | None:
    """The limiter's configuration, or None when limiting is off (rebuilt when settings change)."""
    config = settings.RATELIMIT
    if not config.get("ENABLED", True):
        return None
    limits = {name: (int(c["limit"]), float(c["window"])) for name, c in config["CLASSES"].items()}
    rules = tuple(Rule(m.upper(), prefix, ctype, klass) for m, prefix, ctype, klass in config["RULES"])
    unknown = {rule.klass for rule in rules} - limits.keys()
    if unknown:
        raise ValueError(f"RATELIMIT rules name classes with no limits: {sorted(unknown)}")
    return Policy(
        rules=rules,
        limits=limits,
        redis_url=config.get("REDIS_URL", settings.REDIS_URL),
        timeout=float(config.get("REDIS_TIMEOUT_SECONDS", 0.25)),
        trusted_proxies=int(config.get("TRUSTED_PROXY_COUNT", 0)),
    )


@receiver(setting_changed)
def _forget_policy(*, setting, **kwargs):
    if setting in {"RATELIMIT", "REDIS_URL"}:
        policy.cache_clear()


# --- who is calling -----------------------------------------------------------------------------------


def client_ip(request, *, trusted_proxies: int = 0) -> str:
    """The caller's address: REMOTE_ADDR, or the X-Forwarded-For entry written by the outermost of
    our `trusted_proxies` (entries left of it are the client's to forge)."""
    address = request.META.get("REMOTE_ADDR", "")
    if trusted_proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= trusted_proxies:
            address = forwarded[-trusted_proxies]
    if ":" in address:  # IPv6: one host usually holds a whole /64
        try:
            return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
        except ValueError:
            return address
    return address


def request_ip(request) -> str:
    """The caller's address as every per-IP rule reads it: these limits, and the login lockout (behind
    a proxy, REMOTE_ADDR alone would put every client in one bucket)."""
    return client_ip(request, trusted_proxies=int(settings.RATELIMIT.get("TRUSTED_PROXY_COUNT", 0)))


def bearer_user_id(request) -> str | None:
    """The user id of a well-signed, unexpired access token; None for anything else."""
    claims = bearer_claims(request)
    user_id = claims.get(jwt_settings.USER_ID_CLAIM) if claims is not None else None
    return str(user_id) if user_id is not None else None


def caller_key(request, active: Policy) -> str:
    user_id = bearer_user_id(request)
    if user_id is not None:
        return "u:" + user_id
    return "ip:" + client_ip(request, trusted_proxies=active.trusted_proxies)


# --- the decision -------------------------------------------------------------------------------------


def take(active: Policy, klass: str, caller: str, request=None) -> Quota | None:
    """One request out of `caller`'s bucket for `klass`; None when Redis cannot say (fail open).

    With `request` carrying a valid access token, and the limiter on the Redis that holds token
    standings, the same round trip reads the token's standing (`token_standing`) and leaves it on
    the request for the authenticator: one Redis call per authenticated request for both."""
    limit, window = active.limits[klass]
    bucket = token_bucket(active.redis_url, timeout=active.timeout)
    key = f"{_KEY_PREFIX}{klass}:{caller}"
    claims = bearer_claims(request) if request is not None and caller.startswith("u:") else None
    if claims is not None and isinstance(bucket, RedisTokenBucket) and active.redis_url == settings.REDIS_URL:
        user_id, jti = caller[2:], str(claims[jwt_settings.JTI_CLAIM])
        standing_key, generation_key = token_standing.keys(user_id)

        def call():
            quota, values, generation = bucket.take_and_read(
                key,
                limit=limit,
                period=window,
                hash_key=standing_key,
                fields=token_standing.fields(jti),
                string_key=generation_key,
            )
            token_standing.remember(request, token_standing.decoded(user_id, jti, values, generation))
            return quota
    else:

        def call():
            return bucket.take(key, limit=limit, period=window)

    try:
        return breakers.guarded_call(breakers.breaker(BREAKER), call)
    except breakers.CircuitOpen:
        pass
    except redis.RedisError as exc:
        log.warning("ratelimit.redis_unavailable", error=type(exc).__name__, detail=str(exc))
    REDIS_ERRORS.inc()
    return None


def _headers(quota: Quota) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(quota.limit),
        "RateLimit-Remaining": str(quota.remaining),
        "RateLimit-Reset": str(max(0, math.ceil(quota.reset_after))),
    }


def refusal(quota: Quota):
    retry_after = max(1, math.ceil(quota.retry_after))
    response = domain_error_response(
        RateLimited(
            f"Demasiadas solicitudes. Probá de nuevo en {retry_after} segundos.",
            retry_after=retry_after,
            code="rate_limited",
        )
    )
    for name, value in _headers(quota).items():
        response[name] = value
    return response


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        active = policy()
        klass = active.classify(request) if active is not None else None
        if klass is None:
            return self.get_response(request)
        quota = take(active, klass, caller_key(request, active), request)
        if quota is None:
            return self.get_response(request)
        if not quota.allowed:
            return refusal(quota)  # Django's request logger records the 429
        response = self.get_response(request)
        for name, value in _headers(quota).items():
            response[name] = value
        return response
