"""Handing deliveries to a Celery worker once the notifications transaction commits.

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

DB = alias_for("notifications")
DELIVER = "notifications.deliver"
log = structlog.get_logger(__name__)


def enqueue(delivery_id: UUID, *, countdown: float | None = None) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # development without a broker: run in this process
        current_app.tasks[DELIVER].apply(args=[str(delivery_id)])
        return
    try:
        current_app.send_task(DELIVER, args=[str(delivery_id)], countdown=countdown)
    except Exception:
        log.exception("notifications.enqueue_failed", delivery_id=str(delivery_id))


def enqueue_on_commit(delivery_ids: Iterable[UUID]) -> None:
    ids = list(delivery_ids)
    if ids:
        transaction.on_commit(lambda: [enqueue(i) for i in ids], using=DB)
