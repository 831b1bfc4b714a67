"""The publisher's side of a delivery's end: what a subscriber reported about its attempts.

`handled` and `dead` close a delivery for good; `retry` counts a handler failure and moves the
delivery's next send to when the subscriber's backoff asked for it — unless the report says it was an
outage (a fourth item, true: a database out of reach), which moves the send without counting. A
report that never arrives costs only a resend after the lease: the subscriber dedupes it and reports
again.

How a report travels: the subscriber appends it to the publisher's list in the broker's Redis (one
RPUSH), and the publisher's relay sweep (every EVENTBUS_RELAY_INTERVAL_SECONDS) applies everything
listed in one transaction before it looks for due resends. A Celery message per report doubled what
every event cost the workers (a second message through the consumer, a pool child and a transaction
each), and at 100 events/s the reports held half the prefetch slots: new deliveries waited ~140 ms
behind them (bench/eventbus.py). Nothing waits for a confirmation but the lease, which is far longer
than a sweep. The `eventbus.report` task still applies reports sent as messages by workers of the
previous release.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache

import redis
import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from conectar.platform.eventbus.delivery import RETRY
from conectar.platform.eventbus.models import OutboxDelivery
from conectar.platform.eventbus.relay import commit_without_flush_wait
from conectar.platform.outages import database_unreachable

log = structlog.get_logger(__name__)

# Sent in the subscriber's worker before a report leaves (kwargs: handler): after the handler's
# commit, before the publisher can know. The chaos suite holds a worker here to kill it.
reporting = Signal()

REPORTS_PER_TRANSACTION = 500


def reports_key(alias: str) -> str:
    return f"eventbus:reports:{alias}"


@lru_cache(maxsize=8)
def _broker(url: str) -> redis.Redis:
    # The broker's Redis: every context's workers reach it (the messages travel there), whichever
    # topology runs. redis-py gives a forked pool child its own connections.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def send_report(alias: str, *, handler: str, attempts: list[list]) -> None:
    """The subscriber's side: tell `alias`'s relay how `handler`'s attempts ended."""
    reporting.send(sender=send_report, handler=handler)
    if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker (development fallback): applied right here
        deliveries_report(alias, handler=handler, attempts=attempts)
        return
    _broker(settings.CELERY_BROKER_URL).rpush(reports_key(alias), json.dumps([handler, attempts]))


def apply_reports(alias: str) -> int:
    """The publisher's side: apply every report listed for `alias`, REPORTS_PER_TRANSACTION in one
    transaction. With the database out of reach they go back to the list for the next sweep; a
    report that fails otherwise (it would fail again) is dropped after the others of its chunk were
    applied one by one, and its deliveries are sent again after their lease. A worker killed
    between taking and committing loses the chunk, with the same consequence. Returns how many
    reports were taken."""
    if settings.CELERY_TASK_ALWAYS_EAGER:  # reports were applied as they were sent
        return 0
    client = _broker(settings.CELERY_BROKER_URL)
    taken = 0
    while raw := _take(client, alias):
        taken += len(raw)
        try:
            _apply(alias, raw)
        except Exception as exc:
            if database_unreachable(exc):
                client.lpush(reports_key(alias), *reversed(raw))  # back at the head
                raise
            _apply_one_by_one(client, alias, raw)
        if len(raw) < REPORTS_PER_TRANSACTION:
            break
    return taken


def _apply(alias: str, raw: list[bytes]) -> None:
    by_handler: dict[str, list] = defaultdict(list)
    for handler, attempts in map(json.loads, raw):
        by_handler[handler].extend(attempts)
    with transaction.atomic(using=alias):
        commit_without_flush_wait(alias)
        for handler, attempts in by_handler.items():
            _close_or_reschedule(alias, handler, attempts)


def _apply_one_by_one(client: redis.Redis, alias: str, raw: list[bytes]) -> None:
    for index, report in enumerate(raw):
        try:
            _apply(alias, [report])
        except Exception as exc:
            if database_unreachable(exc):
                client.lpush(reports_key(alias), *reversed(raw[index:]))
                raise
            log.exception("eventbus.report_dropped", alias=alias, report=report[:500].decode(errors="replace"))


def _take(client: redis.Redis, alias: str) -> list[bytes]:
    try:
        return client.lpop(reports_key(alias), REPORTS_PER_TRANSACTION) or []
    except redis.RedisError as exc:  # the relay goes on without them; they wait in the list
        log.warning("eventbus.reports_unreachable", alias=alias, error=repr(exc))
        return []


def deliveries_report(alias: str, *, handler: str, attempts: Iterable[Sequence]) -> None:
    """`attempts`: (event_id, outcome, retry_in) or (event_id, outcome, retry_in, outage) each."""
    with transaction.atomic(using=alias):
        commit_without_flush_wait(alias)
        _close_or_reschedule(alias, handler, attempts)


def _close_or_reschedule(alias: str, handler: str, attempts: Iterable[Sequence]) -> None:
    # Inside a transaction committed without its flush wait: a lost confirmation costs a resend,
    # deduped by the subscriber.
    now = timezone.now()
    open_ones = OutboxDelivery.objects.using(alias).filter(handler=handler, confirmed_at__isnull=True)
    closed: dict[str, list[str]] = defaultdict(list)
    for event_id, outcome, retry_in, *outage in attempts:
        if outcome == RETRY:
            changes = {"next_attempt_at": now + timedelta(seconds=retry_in or 0)}
            if not any(outage):
                changes["failures"] = F("failures") + 1
            open_ones.filter(event__event_id=event_id).update(**changes)
        else:
            closed[outcome].append(event_id)
    for outcome, event_ids in closed.items():
        open_ones.filter(event__event_id__in=event_ids).update(confirmed_at=now, outcome=outcome)
