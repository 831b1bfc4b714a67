"""The relay: moves committed outbox rows to the broker, one task per (event, subscriber)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import structlog
from django.db import transaction
from django.utils import timezone

from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for

log = structlog.get_logger(__name__)

Enqueue = Callable[[list[dict], str], None]


def relay_batch(alias: str, *, enqueue: Enqueue, batch_size: int, delivery_batch_size: int) -> int:
    """Claim up to `batch_size` unrelayed rows of `alias`'s outbox and enqueue their deliveries:
    for each subscriber, one message per `delivery_batch_size` of its events, in outbox order.

    `FOR UPDATE SKIP LOCKED` lets several relays run at once without sending a row twice; the
    rows are marked relayed in the same transaction, so a broker failure halfway rolls the marks
    back and the next relay sends them again (at-least-once; subscribers dedupe).
    """
    with transaction.atomic(using=alias):
        rows = list(
            OutboxEvent.objects.using(alias)
            .select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=True)
            .order_by("id")
            .only("id", "envelope", "event_type")[:batch_size]
        )
        if not rows:
            return 0
        per_handler: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            for sub in subscriptions_for(row.event_type):
                per_handler[sub.key].append(row.envelope)
        for handler_key, envelopes in per_handler.items():
            for start in range(0, len(envelopes), delivery_batch_size):
                enqueue(envelopes[start : start + delivery_batch_size], handler_key)
        OutboxEvent.objects.using(alias).filter(id__in=[r.id for r in rows]).update(relayed_at=timezone.now())
    return len(rows)


def relay_all_pending(alias: str, *, enqueue: Enqueue, batch_size: int, delivery_batch_size: int) -> int:
    total = 0
    while True:
        sent = relay_batch(alias, enqueue=enqueue, batch_size=batch_size, delivery_batch_size=delivery_batch_size)
        total += sent
        if sent < batch_size:
            return total
