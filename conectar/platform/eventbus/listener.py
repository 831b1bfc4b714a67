"""Relaying right after commit without the request touching the broker.

Every outbox table has a statement-level trigger that runs `pg_notify('eventbus_outbox')`;
PostgreSQL delivers it only when the publishing transaction commits (and once per transaction).
A listener thread in each worker's main process LISTENs on the context databases whose relay the
worker runs and relays the outbox that has news right there, in that thread: no broker round trip
before the relay, and under load the events that committed while it relayed go out together. The
beat-scheduled sweep still relays anything a listener missed (worker down, broker down) and sends
the due resends, so a notification is a shortcut, never the only path.

Connections: the LISTEN connections (one per database listened to; straight to the server when
settings.DIRECT_DATABASES names it, everything else going through a transaction pooler) and the
relay's own, from the process's pool (one per database), in the worker's main process. Each database
is listened to on its own: one that is down (or drops the connection) is retried every
`reconnect_seconds` while the others keep relaying at once.
"""

from __future__ import annotations

import select
import threading
import time

import psycopg
import structlog
from celery import bootsteps
from django.conf import settings
from django.db import connections

from conectar.platform.databases import aliases_here
from conectar.platform.queues import eventbus_queue

CHANNEL = "eventbus_outbox"
log = structlog.get_logger(__name__)


def _connect(alias: str) -> psycopg.Connection:
    # LISTEN lives as long as its session: behind a transaction pooler, straight to the server.
    s = settings.DIRECT_DATABASES.get(alias) or connections[alias].settings_dict
    conn = psycopg.connect(
        dbname=s["NAME"],
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        host=s.get("HOST") or None,
        port=s.get("PORT") or None,
        autocommit=True,
        connect_timeout=5,
        application_name="conectar-outbox-listener",
    )
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


class OutboxListener:
    def __init__(self, on_news, aliases=None, reconnect_seconds: float = 2.0):
        self.on_news = on_news
        self.aliases = tuple(aliases_here() if aliases is None else aliases)
        self.reconnect_seconds = reconnect_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="eventbus-outbox-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conns: dict[str, psycopg.Connection] = {}
        retry_at: dict[str, float] = {}
        try:
            while not self._stop.is_set():
                self._connect_missing(conns, retry_at)
                if conns:
                    self._listen_once(conns, retry_at)
                else:  # nothing to listen to: wait for the next reconnection attempt
                    self._stop.wait(self.reconnect_seconds)
        finally:
            for conn in conns.values():
                conn.close()

    def _connect_missing(self, conns: dict[str, psycopg.Connection], retry_at: dict[str, float]) -> None:
        for alias in self.aliases:
            if alias in conns or retry_at.get(alias, 0.0) > time.monotonic():
                continue
            try:
                conns[alias] = _connect(alias)
            except Exception as exc:  # noqa: BLE001 - this database only; the beat sweep covers it meanwhile
                log.warning("eventbus.listener_error", alias=alias, error=repr(exc))
                retry_at[alias] = time.monotonic() + self.reconnect_seconds
                continue
            self._news(alias)  # what committed while nobody listened goes out now

    def _listen_once(self, conns: dict[str, psycopg.Connection], retry_at: dict[str, float]) -> None:
        by_fd = {conn.fileno(): alias for alias, conn in conns.items()}
        ready, _, _ = select.select(list(by_fd), [], [], 1.0)
        news = set()
        for fd in ready:
            alias = by_fd[fd]
            try:
                if any(True for _ in conns[alias].notifies(timeout=0)):
                    news.add(alias)
            except Exception as exc:  # noqa: BLE001 - that database dropped us: only it reconnects
                log.warning("eventbus.listener_error", alias=alias, error=repr(exc))
                conns.pop(alias).close()
                retry_at[alias] = time.monotonic() + self.reconnect_seconds
        for alias in sorted(news):
            self._news(alias)

    def _news(self, alias: str) -> None:
        try:
            self.on_news(alias)
        except Exception as exc:  # noqa: BLE001 - a failed relay is retried by the beat sweep
            log.warning("eventbus.relay_failed", alias=alias, error=repr(exc))


class OutboxListenerStep(bootsteps.StartStopStep):
    """Runs the listener in a Celery worker's main process (not in its pool children).

    It starts after the pool has forked its children: a fork while this thread is importing or
    connecting would hand a child locks (import locks, libpq's) that nobody will ever release,
    and that child would hang on its first task.

    It listens to the outboxes whose relay this worker runs (it consumes their `eventbus.<context>`
    queue); a worker started without -Q listens to all of them, one that only sends notifications
    to none (it is not started there)."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.listener: OutboxListener | None = None
        consumed = set(parent.app.amqp.queues.consume_from or ())
        self.aliases = [a for a in aliases_here() if not consumed or eventbus_queue(a) in consumed]

    def include_if(self, parent):
        return bool(self.aliases)

    def start(self, parent):
        from conectar.platform.eventbus.tasks import relay_now  # noqa: PLC0415 - needs the app loaded

        def relay_here(alias: str) -> None:
            try:
                relay_now(alias)
            except Exception as exc:  # noqa: BLE001 - the beat sweep relays it later
                log.warning("eventbus.relay_failed", alias=alias, error=repr(exc))
            finally:
                connections[alias].close()  # back to the pool (or closed); never held between relays

        self.listener = OutboxListener(relay_here, aliases=self.aliases)
        self.listener.start()

    def stop(self, parent):
        if self.listener is not None:
            self.listener.stop()
