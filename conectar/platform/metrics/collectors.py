"""Event-bus health read from each context database at scrape time: the outbox backlog, the age of
its oldest unrelayed event, the deliveries each subscriber has not confirmed yet (and the age of the
oldest), and the dead letters waiting for staff.

Two queries per database. The backlog walks the partial index `outbox_pending_idx` (only unrelayed
rows), the deliveries `delivery_unconfirmed_idx` (only unconfirmed ones); dead letters are few by
nature (each is an incident)."""

from __future__ import annotations

import structlog
from django.db import DatabaseError, connections
from prometheus_client.core import GaugeMetricFamily

from conectar.platform.databases import aliases_here, context_for
from conectar.platform.eventbus.models import DeadLetter, OutboxDelivery, OutboxEvent

log = structlog.get_logger(__name__)

_SQL = f"""
SELECT
    (SELECT count(*) FROM {OutboxEvent._meta.db_table} WHERE relayed_at IS NULL),
    (SELECT EXTRACT(EPOCH FROM clock_timestamp() - created_at) FROM {OutboxEvent._meta.db_table}
      WHERE relayed_at IS NULL ORDER BY id LIMIT 1),
    (SELECT count(*) FROM {DeadLetter._meta.db_table} WHERE status = %s)
"""  # noqa: S608 - table names come from the models, the only value is a parameter
_UNCONFIRMED_SQL = f"""
SELECT handler, count(*), EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))
FROM {OutboxDelivery._meta.db_table} WHERE confirmed_at IS NULL GROUP BY handler
"""  # noqa: S608 - the table name comes from the model


def _families() -> tuple[GaugeMetricFamily, ...]:
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
        GaugeMetricFamily(
            "conectar_eventbus_unconfirmed_deliveries",
            "Deliveries sent to a subscriber and not yet confirmed by it, per publisher and handler.",
            labels=["context", "handler"],
        ),
        GaugeMetricFamily(
            "conectar_eventbus_oldest_unconfirmed_age_seconds",
            "Age of the oldest delivery a subscriber has not confirmed, per publisher and handler.",
            labels=["context", "handler"],
        ),
    )


class EventBusCollector:
    def describe(self):
        # Without describe() prometheus_client would call collect() (and the databases) to learn names.
        return list(_families())

    def collect(self):
        pending, oldest_age, dead, unconfirmed, unconfirmed_age = families = _families()
        for alias in aliases_here():  # this process's outboxes: all in the monolith, one in a service
            context = context_for(alias)
            try:
                with connections[alias].cursor() as cursor:
                    cursor.execute(_SQL, [DeadLetter.Status.DEAD])
                    count, age, dead_count = cursor.fetchone()
                    cursor.execute(_UNCONFIRMED_SQL)
                    per_handler = cursor.fetchall()
            except DatabaseError as exc:  # a database down leaves its series out; /health/ready says why
                log.warning("metrics.eventbus_unavailable", alias=alias, error=type(exc).__name__)
                continue
            pending.add_metric([context], count)
            oldest_age.add_metric([context], max(float(age or 0), 0.0))
            dead.add_metric([context], dead_count)
            for handler, handler_count, handler_age in per_handler:
                unconfirmed.add_metric([context, handler], handler_count)
                unconfirmed_age.add_metric([context, handler], max(float(handler_age or 0), 0.0))
        yield from families
