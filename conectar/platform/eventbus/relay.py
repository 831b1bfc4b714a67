"""The relay: turns committed outbox rows into deliveries, one per (event, subscriber), and sends
every delivery its subscriber has not confirmed yet once its lease has run out.

A delivery row lives in the publisher's database next to the outbox. It is written in the same
transaction that marks the outbox row relayed, and the messages go to the broker only after that
commit (a worker could otherwise confirm a delivery whose row does not exist yet). Whatever is
lost after the commit — the message in a broker restarted without its data, a worker killed before,
inside or after the handler, a connection cut on the way — is sent again when `next_attempt_at`
passes, until the subscriber confirms it. Subscribers dedupe by their processed-events record, so
a delivery sent twice is handled once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.db import connections, transaction
from django.utils import timezone

from conectar.platform.eventbus.models import OutboxDelivery, OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RelayConfig:
    batch_size: int  # outbox rows (or due deliveries) claimed per transaction
    delivery_batch_size: int  # events per message to one subscriber
    lease_seconds: float  # how long a sent delivery may stay unconfirmed before it is sent again
    lease_max_seconds: float  # the lease doubles with every unconfirmed send, up to this


# (items, handler key, subscriber context): items are [envelope, failures so far] pairs.
Send = Callable[[list[list], str, str], None]


def commit_without_flush_wait(alias: str) -> None:
    """Let the open transaction on `alias` commit without waiting for its WAL flush.

    Only for the bus's bookkeeping in the publisher's database (relayed marks, delivery rows, their
    leases, confirmations), whose loss in a server crash is already survived: an event that loses
    its relayed mark is relayed again, a delivery that loses its confirmation is sent again after
    its lease, and the subscriber's processed-events record — committed with a full flush, like
    every handler's effects — makes the repeat a no-op. Never for the handlers' own transactions."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def lease_until(now: datetime, sends: int, conf: RelayConfig) -> datetime:
    seconds = min(conf.lease_max_seconds, conf.lease_seconds * 2 ** max(sends - 1, 0))
    return now + timedelta(seconds=seconds)


def relay_new(alias: str, *, send: Send, conf: RelayConfig) -> int:
    """Claim up to `conf.batch_size` unrelayed outbox rows, record their deliveries, then send them.
    Returns the number of outbox rows relayed. `SKIP LOCKED` lets relays run side by side."""
    now = timezone.now()
    with transaction.atomic(using=alias):
        rows = list(
            OutboxEvent.objects.using(alias)
            .select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=True)
            .order_by("id")
            .only("id", "envelope", "event_type")[: conf.batch_size]
        )
        if not rows:
            return 0
        commit_without_flush_wait(alias)
        deliveries = [
            OutboxDelivery(
                event=row,
                handler=sub.key,
                subscriber=sub.context,
                created_at=now,
                next_attempt_at=lease_until(now, 1, conf),
            )
            for row in rows
            for sub in subscriptions_for(row.event_type)
        ]
        OutboxDelivery.objects.using(alias).bulk_create(deliveries)
        OutboxEvent.objects.using(alias).filter(id__in=[r.id for r in rows]).update(relayed_at=now)
    _send_all(alias, deliveries, send=send, conf=conf)
    return len(rows)


def resend_due(alias: str, *, send: Send, conf: RelayConfig) -> int:
    """Send again up to `conf.batch_size` unconfirmed deliveries whose lease (or retry delay) has
    run out, each with a longer lease than the last. Returns how many were sent."""
    now = timezone.now()
    with transaction.atomic(using=alias):
        due = list(
            OutboxDelivery.objects.using(alias)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(confirmed_at__isnull=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .only("id", "handler", "subscriber", "sends", "failures", "event__envelope")[: conf.batch_size]
        )
        if not due:
            return 0
        commit_without_flush_wait(alias)
        for delivery in due:
            delivery.sends += 1
            delivery.next_attempt_at = lease_until(now, delivery.sends, conf)
        OutboxDelivery.objects.using(alias).bulk_update(due, ["sends", "next_attempt_at"])
    log.info("eventbus.resent", alias=alias, deliveries=len(due))
    _send_all(alias, due, send=send, conf=conf)
    return len(due)


def relay(alias: str, *, send: Send, conf: RelayConfig, resends: bool = True) -> int:
    """Everything the relay owes `alias`'s subscribers now: new events first, then (unless told not
    to) the due resends."""
    total = 0
    while (sent := relay_new(alias, send=send, conf=conf)) > 0:
        total += sent
        if sent < conf.batch_size:
            break
    while resends and (sent := resend_due(alias, send=send, conf=conf)) > 0:
        total += sent
        if sent < conf.batch_size:
            break
    return total


def _send_all(alias: str, deliveries: list[OutboxDelivery], *, send: Send, conf: RelayConfig) -> None:
    """One message per `delivery_batch_size` events of one subscriber, in outbox order. A message
    the broker refuses leaves its deliveries due at once, for the next relay to try again."""
    per_handler: dict[tuple[str, str], list[OutboxDelivery]] = defaultdict(list)
    for delivery in deliveries:
        per_handler[(delivery.handler, delivery.subscriber)].append(delivery)
    unsent: list[int] = []
    for (handler, subscriber), group in per_handler.items():
        for start in range(0, len(group), conf.delivery_batch_size):
            chunk = group[start : start + conf.delivery_batch_size]
            try:
                send([[d.event.envelope, d.failures] for d in chunk], handler, subscriber)
            except Exception as exc:  # noqa: BLE001 - the rows are durable; the next relay resends them
                log.warning("eventbus.send_failed", alias=alias, handler=handler, error=repr(exc))
                unsent.extend(d.pk for d in chunk)
    if unsent:
        OutboxDelivery.objects.using(alias).filter(pk__in=unsent).update(next_attempt_at=timezone.now())
