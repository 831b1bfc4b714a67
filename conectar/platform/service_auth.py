"""Service-to-service authentication for internal routes (`/internal/*`, `/notify/push|email|sms`,
`/payment/refund|payout`, `/webhook/chat/infraction`): one implementation, used by the DRF
authentication class and the Ninja auth class of `conectar.platform.auth`.

Keys come from `settings.INTERNAL_SERVICE_KEYS` (env `INTERNAL_SERVICE_KEYS`), one per calling
service: `marketplace:<key>,payments:<key>`. A bare `<key>` (the older plain list) still works for
the key header, as an unnamed caller. A service proves itself in one of two ways:

1. **Key header**: `X-Service-Key: <key>` (or `X-API-Key`, as the v1 frontend's webhook sends it).
   Compared in constant time against every configured key, so timing tells nothing.
2. **HMAC signature** (the key never travels): `X-Service-Name: <name>`, `X-Service-Timestamp:
   <unix seconds>`, `X-Service-Signature: <hex HMAC-SHA256(key, canonical)>` where canonical is
   `METHOD + "\n" + path?query + "\n" + timestamp + "\n" + hex SHA-256(body)`. Refused when the
   timestamp is more than `SERVICE_AUTH_MAX_SKEW_SECONDS` (300) from our clock, and when the same
   signature was already used (a one-time record in the cache, kept for the whole window, so an
   exact replay inside the window is refused too). If the cache cannot record it the request is a
   503: without the record a replay could not be told apart.

`service_request_headers()` builds the signed headers for a caller (a lifted context's HTTP client).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from conectar.shared.errors import NotAuthenticated, ServiceUnavailable

log = structlog.get_logger(__name__)

KEY_HEADERS = ("HTTP_X_SERVICE_KEY", "HTTP_X_API_KEY")  # X-API-Key: the v1 frontend's webhook
NAME_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Service-Name", "X-Service-Timestamp", "X-Service-Signature"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_REPLAY_PREFIX = "svcauth:sig:"


@dataclass(frozen=True)
class ServiceCaller:
    """Another service, authenticated by its key or signature (internal routes)."""

    name: str = ""  # "" for a bare key of the older plain list
    is_authenticated = True
    is_staff = False
    pk = None
    role = "SERVICE"


class ServiceCredentialsRejected(NotAuthenticated):
    """401 with the platform's `not_authenticated` code (as for missing credentials); the detail
    says what was wrong."""

    default_detail = "Credenciales de servicio inválidas."


@lru_cache(maxsize=4)
def _parse(entries: tuple[str, ...]) -> tuple[dict[str, bytes], tuple[tuple[str, bytes], ...]]:
    """From the setting's entries: {name: key} for signatures, and ((name, SHA-256 of key), …) for the
    key header (digests have equal lengths, so comparing them leaks no key's length)."""
    named: dict[str, bytes] = {}
    every: list[tuple[str, bytes]] = []
    for entry in (e.strip() for e in entries):
        name, sep, key = entry.partition(":")
        if sep and key and _NAME.match(name):
            named[name] = key.encode()
            every.append((name, hashlib.sha256(key.encode()).digest()))
        elif entry:
            every.append(("", hashlib.sha256(entry.encode()).digest()))
    return named, tuple(every)


def _keys() -> tuple[dict[str, bytes], tuple[tuple[str, bytes], ...]]:
    return _parse(tuple(settings.INTERNAL_SERVICE_KEYS))


def own_service_credentials() -> tuple[str, str]:
    """This process's name and key, for signing its calls to other services (remote facades)."""
    name = settings.SERVICE_NAME
    key = _keys()[0].get(name)
    if key is None:
        raise ImproperlyConfigured(f"INTERNAL_SERVICE_KEYS has no key for this service ({name}:<key>)")
    return name, key.decode()


def key_owner(presented: str | None) -> str | None:
    """The name of the service whose key this is ("" for an unnamed key), or None."""
    if not presented:
        return None
    candidate, owner = hashlib.sha256(presented.encode()).digest(), None
    for name, digest in _keys()[1]:  # every key compared, in constant time each: no early exit
        if hmac.compare_digest(candidate, digest) and owner is None:
            owner = name
    return owner


def canonical(method: str, full_path: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), full_path, timestamp, hashlib.sha256(body).hexdigest())).encode()


def signature(key: str | bytes, method: str, full_path: str, timestamp: str, body: bytes) -> str:
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, canonical(method, full_path, timestamp, body), hashlib.sha256).hexdigest()


def service_request_headers(
    *, name: str, key: str, method: str, full_path: str, body: bytes = b"", now: float | None = None
) -> dict[str, str]:
    """The headers that sign a request to another service's internal route."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        NAME_HEADER: name,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(key, method, full_path, timestamp, body),
    }


def _reject(reason: str, detail: str, **context) -> ServiceCredentialsRejected:
    log.warning("service_auth.rejected", reason=reason, **context)
    return ServiceCredentialsRejected(detail)


def _verify_signature(request, presented: str) -> ServiceCaller:
    name = request.headers.get(NAME_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not name or not timestamp:
        raise _reject("incomplete", f"Faltan los encabezados {NAME_HEADER} y {TIMESTAMP_HEADER}.")
    key = _keys()[0].get(name)
    if key is None:
        raise _reject("unknown_service", "Servicio desconocido.", service=name)
    if not timestamp.isdigit():
        raise _reject("bad_timestamp", f"{TIMESTAMP_HEADER} debe ser un tiempo Unix en segundos.", service=name)
    window = settings.SERVICE_AUTH_MAX_SKEW_SECONDS
    if abs(time.time() - int(timestamp)) > window:
        raise _reject("stale", "La firma venció o tiene la hora corrida; firmá de nuevo.", service=name)
    expected = signature(key, request.method, request.get_full_path(), timestamp, request.body)
    if not hmac.compare_digest(expected.encode(), presented.strip().lower().encode()):
        raise _reject("bad_signature", "Firma de servicio inválida.", service=name)
    try:
        first_use = cache.add(f"{_REPLAY_PREFIX}{name}:{expected}", 1, timeout=2 * window + 1)
    except (redis.RedisError, OSError) as exc:
        log.warning("service_auth.replay_cache_unavailable", error=type(exc).__name__, detail=str(exc))
        raise ServiceUnavailable("No se pudo verificar la firma del servicio; reintentá en unos instantes.") from exc
    if not first_use:
        raise _reject("replayed", "Esta solicitud firmada ya fue usada; firmá una nueva.", service=name)
    return ServiceCaller(name=name)


def authenticate_service(request) -> ServiceCaller | None:
    """The calling service; None when the request carries no service credentials at all.
    Raises ServiceCredentialsRejected (401) for wrong, stale or replayed ones."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    presented = request.headers.get(SIGNATURE_HEADER)
    if presented:
        return _verify_signature(request, presented)
    key = next((request.META[h] for h in KEY_HEADERS if request.META.get(h)), None)
    if key is None:
        return None
    owner = key_owner(key)
    if owner is None:
        raise _reject("bad_key", "Clave de servicio inválida.")
    return ServiceCaller(name=owner)
