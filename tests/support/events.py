"""Delivering published events in-process, synchronously: the worker's job done by the test itself
with the bus's own delivery function (dedupe record + handler in one transaction). For tests that
exercise handlers without needing a worker process; the bus itself is tested with a real worker."""

from django.utils import timezone

from conectar.platform.databases import ALIASES
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for


def deliver_outbox(*, to: set[str] | None = None) -> int:
    """Deliver every pending event (and the events their handlers publish) until none is left.
    `to`: only the subscribers of these contexts run (the others' handlers are not under test,
    e.g. payments' escrow checks on trabajos a test made up); the events still count as relayed."""
    delivered = 0
    while True:
        pending = [
            (alias, row) for alias in ALIASES for row in OutboxEvent.objects.using(alias).filter(relayed_at=None)
        ]
        if not pending:
            return delivered
        for alias, row in sorted(pending, key=lambda item: item[1].created_at):
            for sub in subscriptions_for(row.event_type):
                if to is None or sub.context in to:
                    handle_once(sub, row.envelope)
            OutboxEvent.objects.using(alias).filter(pk=row.pk).update(relayed_at=timezone.now())
            delivered += 1


def published(event_type: str, alias: str) -> list[dict]:
    """Payloads of `event_type` events recorded in `alias`'s outbox, oldest first."""
    rows = OutboxEvent.objects.using(alias).filter(event_type=event_type).order_by("id")
    return [row.envelope["payload"] for row in rows]
