"""Handing deliveries to a Celery worker once the notifications transaction commits, each on its
channel's queue (`notifications.<channel>`): a flood of e-mails never holds back a push, and no
delivery holds back the domain queues.

Services name the task by its registered name instead of importing `tasks` (which sits above them).
A send that fails (broker down) is logged, not raised: the delivery stays pending and due in the
database, and the beat sweep (`notifications.sweep_pending`) enqueues it again."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import structlog
from celery import current_app
from django.conf import settings
from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.queues import notifications_queue

DB = alias_for("notifications")
DELIVER = "notifications.deliver"
log = structlog.get_logger(__name__)


def enqueue(delivery_id: UUID, channel: str, *, countdown: float | None = None) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # development without a broker: run in this process
        current_app.tasks[DELIVER].apply(args=[str(delivery_id), channel])
        return
    try:
        current_app.send_task(
            DELIVER, args=[str(delivery_id), channel], countdown=countdown, queue=notifications_queue(channel)
        )
    except Exception:
        log.exception("notifications.enqueue_failed", delivery_id=str(delivery_id))


def enqueue_on_commit(deliveries: Iterable[tuple[UUID, str]]) -> None:
    """`deliveries`: (delivery id, channel) pairs."""
    pending = list(deliveries)
    if pending:
        transaction.on_commit(lambda: [enqueue(i, channel) for i, channel in pending], using=DB)
