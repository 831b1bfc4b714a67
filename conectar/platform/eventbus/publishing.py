"""`publish(event)`: a transactional outbox write.

Nothing here touches the broker: the outbox's trigger notifies the workers' listeners on commit
(see listener.py). Only without a broker (development fallback) does the commit relay in-process.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.tasks import relay_outbox
from conectar.platform.request_id import current_request_id
from conectar.shared.events import DomainEvent, to_payload


class PublishOutsideTransaction(RuntimeError):
    pass


# One INSERT, written once: publish() runs inside the caller's request, and the ORM's create() (model
# instance, signals, SQL compiled per call, the id read back) cost more than the statement itself.
# The envelope goes in as JSON text, serialised once; the timestamp is the server's.
_INSERT = (
    f"INSERT INTO {OutboxEvent._meta.db_table} (event_id, event_type, envelope, created_at) "  # noqa: S608 - constants
    "VALUES (%s, %s, %s::jsonb, statement_timestamp())"
)


def envelope_for(event: DomainEvent) -> dict:
    return {
        "event_id": str(event.event_id),
        "event_type": event.type_name(),
        "occurred_at": event.occurred_at.isoformat(),
        "publisher": event.context,
        "request_id": current_request_id(),
        "payload": to_payload(event),
    }


def publish(event: DomainEvent) -> None:
    """Write `event` to its publisher's outbox inside the caller's open transaction.

    The row commits or rolls back with the caller's own changes, so a rolled-back use case
    publishes nothing and a committed one cannot lose its event to a crash or a broker outage.
    """
    alias = alias_for(event.context)
    connection = transaction.get_connection(alias)
    if not connection.in_atomic_block:
        raise PublishOutsideTransaction(
            f"publish({event.type_name()}) must run inside transaction.atomic(using={alias!r})"
        )
    envelope = envelope_for(event)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [event.event_id, envelope["event_type"], json.dumps(envelope)])
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _relay_in_process(alias), using=alias)


def publish_many(events: list[DomainEvent]) -> None:
    """`publish` for several events of one context in one INSERT (a batch of chat messages)."""
    if not events:
        return
    alias = alias_for(events[0].context)
    if any(e.context != events[0].context for e in events):
        raise ValueError("publish_many takes the events of one context")
    if not transaction.get_connection(alias).in_atomic_block:
        raise PublishOutsideTransaction(f"publish_many must run inside transaction.atomic(using={alias!r})")
    rows = [OutboxEvent(event_id=e.event_id, event_type=e.type_name(), envelope=envelope_for(e)) for e in events]
    OutboxEvent.objects.using(alias).bulk_create(rows)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _relay_in_process(alias), using=alias)


def _relay_in_process(alias: str) -> None:
    relay_outbox.apply(args=[alias])
