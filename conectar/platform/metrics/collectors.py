"""Event-bus health read from each context database at scrape time: the outbox backlog, the age of
its oldest undelivered event, and the dead letters waiting for staff.

One query per database. The backlog count and the oldest row walk the partial index
`outbox_pending_idx` (only undelivered rows); dead letters are few by nature (each is an incident)."""

from __future__ import annotations

import structlog
from django.db import DatabaseError, connections
from prometheus_client.core import GaugeMetricFamily

from conectar.platform.databases import CONTEXT_DATABASES
from conectar.platform.eventbus.models import DeadLetter, OutboxEvent

log = structlog.get_logger(__name__)

_CONTEXT_OF_ALIAS = {alias: context for context, alias in CONTEXT_DATABASES.items()}

_SQL = f"""
SELECT
    (SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE relayed_at IS NULL),
    (SELECT EXTRACT(EPOCH FROM clock_timestamp() - created_at) FROM {OutboxEvent._meta.db_table}
      WHERE relayed_at IS NULL ORDER BY id LIMIT 1),
    (SELECT count(*) FROM {DeadLetter._meta.db_table} WHERE status = %s)
"""  # noqa: S608 - table names come from the models, the only value is a parameter


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "conectar_outbox_pending_events", "Events published but not yet relayed, per context.", labels=["context"]
        ),
        GaugeMetricFamily(
            "conectar_outbox_oldest_pending_age_seconds",
            "Age of the oldest event not yet relayed (0 when none), per context.",
            labels=["context"],
        ),
        GaugeMetricFamily(
            "conectar_eventbus_dead_letters",
            "Deliveries dead-lettered and not re-driven, per consuming context.",
            labels=["context"],
        ),
    )


class EventBusCollector:
    def describe(self):
        # Without describe() prometheus_client would call collect() (and the databases) to learn names.
        return list(_families())

    def collect(self):
        pending, oldest_age, dead = _families()
        for alias, context in _CONTEXT_OF_ALIAS.items():
            try:
                with connections[alias].cursor() as cursor:
                    cursor.execute(_SQL, [DeadLetter.Status.DEAD])
                    count, age, dead_count = cursor.fetchone()
            except DatabaseError as exc:  # a database down leaves its series out; /health/ready says why
                log.warning("metrics.eventbus_unavailable", alias=alias, error=type(exc).__name__)
                continue
            pending.add_metric([context], count)
            oldest_age.add_metric([context], max(float(age or 0), 0.0))
            dead.add_metric([context], dead_count)
        yield pending
        yield oldest_age
        yield dead
