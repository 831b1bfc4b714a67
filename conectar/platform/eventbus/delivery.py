"""Running one subscriber on one event, exactly once in effect; what the attempt reports back to
the publisher's relay (handled, retry later, dead); and the dead-letter path.

A message carries up to DELIVERY_BATCH_SIZE events for one subscriber. An atomic subscriber handles
them in one transaction of its database: one statement writes their dedupe records, the handlers
run, one commit — instead of four round trips and a WAL flush per event, which bounded the bus's
throughput. Nothing is reported handled before that commit. If anything fails (a handler raises, a
deferred constraint at commit), all of it rolls back and the events are handled one transaction
each, as if they had come alone: the failing one is retried or dead-lettered, the others commit
(their handlers ran twice, their effects once — as after a worker killed mid-batch).

The subscriber's database out of reach (refused, dropped, no pooled connection in time) is not the
handler's failure: the attempt says "retry in OUTAGE_RETRY_SECONDS" without spending one of its
MAX_RETRIES, so an outage of any length ends with the event handled, never dead-lettered."""

from __future__ import annotations

import random
from dataclasses import dataclass
from uuid import UUID

import structlog
from django.db import connections, transaction
from django.utils import timezone

from conectar.platform.eventbus.models import DeadLetter, OutboxDelivery, ProcessedEvent
from conectar.platform.eventbus.subscriptions import Subscription
from conectar.platform.outages import (
    RETRY_AFTER_SECONDS,
    database_available,
    database_unreachable,
    mark_database_down,
)
from conectar.platform.request_id import bind_request_id, reset_request_id
from conectar.shared.events import from_payload

_PROCESSED_TABLE = ProcessedEvent._meta.db_table
HANDLED, DEAD, RETRY = OutboxDelivery.Outcome.HANDLED.value, OutboxDelivery.Outcome.DEAD.value, "retry"
log = structlog.get_logger(__name__)


def handle_once(sub: Subscription, envelope: dict) -> bool:
    """Run `sub.handler` for the event unless this handler already processed it.

    The dedupe record and the handler's effects commit in one transaction in the subscriber's
    database. A concurrent duplicate blocks on the unique index until the first commits, then
    sees the conflict and does nothing. A non-atomic subscription runs outside any transaction
    (its handler calls other contexts first and is idempotent by itself) and is recorded after it
    returned. Returns whether the handler ran.
    """
    event = from_payload(envelope["event_type"], envelope["payload"])
    token = bind_request_id(envelope.get("request_id"))
    try:
        if not sub.atomic:
            if _processed(sub.alias, event.event_id, sub.key):
                return False
            sub.handler(event)
            with transaction.atomic(using=sub.alias):
                _claim(sub.alias, event.event_id, sub.key)
            return True
        with transaction.atomic(using=sub.alias):
            if not _claim(sub.alias, event.event_id, sub.key):
                return False
            sub.handler(event)
        return True
    finally:
        reset_request_id(token)


def _processed(alias: str, event_id: UUID, handler: str) -> bool:
    return ProcessedEvent.objects.using(alias).filter(event_id=event_id, handler=handler).exists()


def _claim(alias: str, event_id: UUID, handler: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_PROCESSED_TABLE} (event_id, handler, processed_at) "  # noqa: S608 - a constant
            "VALUES (%s, %s, now()) ON CONFLICT (event_id, handler) DO NOTHING",
            [event_id, handler],
        )
        return cursor.rowcount == 1


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt tells the publisher: `handled` (the processed-events record
    exists), `dead` (dead-lettered after the retries) or `retry` in `retry_in` seconds — `outage`
    when a database was out of reach, which does not count as a failure of the handler."""

    event_id: str
    outcome: str
    retry_in: float | None = None
    outage: bool = False

    def report(self) -> list:
        """As reported to the publisher (confirmations.send_report; the outage flag only when set)."""
        return [self.event_id, self.outcome, self.retry_in, *([True] if self.outage else [])]


def outage_delay(conf: dict) -> float:
    """When to try again after an outage: RETRY_AFTER-like, with jitter so a backlog spreads out."""
    seconds = conf.get("OUTAGE_RETRY_SECONDS", RETRY_AFTER_SECONDS)
    return seconds / 2 + random.uniform(0, seconds / 2)  # noqa: S311 - jitter, not security


def waiting(event_id: str, conf: dict) -> Attempt:
    return Attempt(event_id, RETRY, outage_delay(conf), outage=True)


class _RolledBack(RuntimeError):
    pass


def attempt_all(sub: Subscription, items: list[list], *, conf: dict) -> list[Attempt]:
    """Deliver `items` ([envelope, failures so far] each, in outbox order) to `sub`; one Attempt each."""
    if not database_available(sub.alias):
        # The subscriber's database is out of reach: the batch waits with it instead of each event
        # spending its own connection timeout.
        return [waiting(envelope["event_id"], conf) for envelope, _ in items]
    if sub.atomic and len(items) > 1:
        try:
            return _in_one_transaction(sub, [envelope for envelope, _ in items])
        except Exception as exc:  # noqa: BLE001 - nothing of the batch committed; decided below
            if database_unreachable(exc):
                log.warning("eventbus.database_unreachable", handler=sub.key, error=repr(exc))
                mark_database_down(sub.alias)
                return [waiting(envelope["event_id"], conf) for envelope, _ in items]
            log.info("eventbus.batch_rolled_back", handler=sub.key, events=len(items), error=repr(exc))
    return _one_by_one(sub, items, conf)


def _one_by_one(sub: Subscription, items: list[list], conf: dict) -> list[Attempt]:
    attempts: list[Attempt] = []
    for envelope, failures in items:
        if attempts and attempts[-1].outage:  # the rest of the batch waits for the database too
            attempts.append(waiting(envelope["event_id"], conf))
        else:
            attempts.append(attempt(sub, envelope, failures=failures, conf=conf))
    return attempts


def _in_one_transaction(sub: Subscription, envelopes: list[dict]) -> list[Attempt]:
    """The whole batch in one transaction: one statement records every event's dedupe record, the
    handlers of the events not processed before run in outbox order, one commit. Any exception
    rolls all of it back (the caller then goes one by one). Returns only after the commit."""
    events = [from_payload(envelope["event_type"], envelope["payload"]) for envelope in envelopes]
    with transaction.atomic(using=sub.alias):
        claimed = _claim_all(sub.alias, [event.event_id for event in events], sub.key)
        for envelope, event in zip(envelopes, events, strict=True):
            if event.event_id not in claimed:
                continue  # processed before (a redelivery), or earlier in this very batch
            claimed.discard(event.event_id)
            token = bind_request_id(envelope.get("request_id"))
            try:
                sub.handler(event)
            finally:
                reset_request_id(token)
        if transaction.get_rollback(using=sub.alias):  # a handler asked for it: nothing would commit
            raise _RolledBack(sub.key)
    return [Attempt(envelope["event_id"], HANDLED) for envelope in envelopes]


def _claim_all(alias: str, event_ids: list[UUID], handler: str) -> set[UUID]:
    """Insert the dedupe records of `event_ids` that do not exist yet; returns those. Sorted, so two
    batches that share events wait for each other in one order instead of deadlocking."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_PROCESSED_TABLE} (event_id, handler, processed_at) "  # noqa: S608 - a constant
            "SELECT e, %s, now() FROM unnest(%s::uuid[]) AS e ORDER BY e "
            "ON CONFLICT (event_id, handler) DO NOTHING RETURNING event_id",
            [handler, sorted(set(event_ids))],
        )
        return {row[0] for row in cursor.fetchall()}


def attempt(sub: Subscription, envelope: dict, *, failures: int, conf: dict) -> Attempt:
    """Deliver `envelope` to `sub` once more; `failures` is how often the handler failed before.
    A failure schedules the next try with backoff, or buries the event after MAX_RETRIES."""
    event_id = envelope["event_id"]
    try:
        handle_once(sub, envelope)
    except Exception as exc:
        if database_unreachable(exc):
            log.warning("eventbus.database_unreachable", handler=sub.key, event_id=event_id, error=repr(exc))
            if sub.atomic:  # its own database, the only one it touches
                mark_database_down(sub.alias)
            return waiting(event_id, conf)
        tries = failures + 1
        context = {"handler": sub.key, "event_id": event_id, "attempt": tries}
        if tries > conf["MAX_RETRIES"]:
            log.exception("eventbus.dead_letter", **context)
            try:
                bury(sub, envelope, attempts=tries, error=repr(exc))
            except Exception as bury_exc:
                if not database_unreachable(bury_exc):
                    raise
                return waiting(event_id, conf)  # buried on a later try, once its database answers
            return Attempt(event_id, DEAD)
        delay = retry_delay(tries, base=conf["RETRY_BACKOFF_SECONDS"], cap=conf["RETRY_BACKOFF_MAX_SECONDS"])
        log.warning("eventbus.retry", delay=delay, error=repr(exc), **context)
        return Attempt(event_id, RETRY, delay)
    return Attempt(event_id, HANDLED)


def retry_delay(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with equal jitter: between half and all of min(cap, base·2^(n-1))."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


def bury(sub: Subscription, envelope: dict, *, attempts: int, error: str) -> None:
    """Record a delivery that exhausted its retries where staff can see and re-drive it."""
    DeadLetter.objects.using(sub.alias).update_or_create(
        event_id=envelope["event_id"],
        handler=sub.key,
        defaults={
            "event_type": envelope["event_type"],
            "envelope": envelope,
            "attempts": attempts,
            "last_error": error[:10_000],
            "status": DeadLetter.Status.DEAD,
            "died_at": timezone.now(),
            "redriven_at": None,
        },
    )
