"""What counts as a backing service out of reach — Redis (cache, token denylist, lockout counters,
presence) or PostgreSQL refusing or dropping connections: an outage, not a fault of the request.
HTTP answers it with 503 and Retry-After (http_errors); the chat socket with close code 4503 or an
error frame. Clients come back later instead of reading a bug. The event bus waits it out without
counting it against the handler (`database_unreachable`, eventbus.delivery)."""

from __future__ import annotations

import threading
import time

import psycopg
import redis
from django.db import InterfaceError, OperationalError, connections

# InterfaceError: Django's or psycopg's "connection already closed" — a connection the server dropped.
BACKING_SERVICE_DOWN = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OperationalError,
    InterfaceError,
)
RETRY_AFTER_SECONDS = 5

# SQLSTATEs that mean "no usable connection" rather than "this statement failed": connection
# exceptions (class 08), too many connections, and the server shutting down or starting up.
_CONNECTION_STATES = ("08", "53300", "57P01", "57P02", "57P03")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says PostgreSQL could not be reached or dropped the
    connection: refused, timed out, no pooled connection in time, closed under us. A statement the
    server refused (lock timeout, deadlock, constraint, bad SQL) is not an outage."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, InterfaceError | psycopg.InterfaceError):
            return True
        if isinstance(current, psycopg.OperationalError):
            state = getattr(current, "sqlstate", None)
            return state is None or state.startswith(_CONNECTION_STATES)
        current = current.__cause__ or current.__context__
    return False


# Per process: a database found out of reach is left alone for RETRY_AFTER_SECONDS, then one plain
# connection attempt (instant when refused, 2 s at most) decides whether to go back to it. Without
# this a worker's processes each sat out the pool's timeout (10 s) on every task for the dead
# database — beat asks for its relay twice a second — and the other databases' work waited behind.
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()
PROBE_TIMEOUT_SECONDS = 2


def mark_database_down(alias: str) -> None:
    with _down_lock:
        _down_until[alias] = time.monotonic() + RETRY_AFTER_SECONDS


def database_available(alias: str) -> bool:
    """False while `alias` is known to be out of reach in this process (see above)."""
    with _down_lock:
        until = _down_until.get(alias)
    if until is None:
        return True
    if time.monotonic() < until:
        return False
    if _connects(alias):
        with _down_lock:
            _down_until.pop(alias, None)
        return True
    mark_database_down(alias)
    return False


def _connects(alias: str) -> bool:
    s = connections[alias].settings_dict
    try:
        psycopg.connect(
            dbname=s["NAME"],
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or None,
            port=s.get("PORT") or None,
            connect_timeout=PROBE_TIMEOUT_SECONDS,
            application_name="conectar-outage-probe",
        ).close()
    except psycopg.Error:
        return False
    return True
