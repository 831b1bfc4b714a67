"""`publish(event)`: a transactional outbox write, plus a nudge to the relay after commit."""

from __future__ import annotations

import structlog
from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.tasks import relay_outbox
from conectar.platform.request_id import current_request_id
from conectar.shared.events import DomainEvent, to_payload

log = structlog.get_logger(__name__)


class PublishOutsideTransaction(RuntimeError):
    pass


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
    if not transaction.get_connection(alias).in_atomic_block:
        raise PublishOutsideTransaction(
            f"publish({event.type_name()}) must run inside transaction.atomic(using={alias!r})"
        )
    OutboxEvent.objects.using(alias).create(
        event_id=event.event_id, event_type=event.type_name(), envelope=envelope_for(event)
    )
    transaction.on_commit(lambda: nudge_relay(alias), using=alias)


def nudge_relay(alias: str) -> None:
    """Ask a worker to relay `alias`'s outbox now. Best effort: if the broker is down the rows
    wait in the outbox and the beat-scheduled relay sends them once it is back."""
    try:
        relay_outbox.apply_async(args=[alias], retry=False)
    except Exception as exc:  # noqa: BLE001 - the commit already happened; never fail the caller
        log.warning("eventbus.relay_nudge_failed", alias=alias, error=repr(exc))
