"""Celery entry points of this context (thin, idempotent; ids only).

`notifications.deliver` sends one delivery; on a provider fault it re-enqueues itself for when the
next attempt is due (exponential backoff, or the breaker's reset time). `notifications.sweep_pending`
(beat) re-enqueues deliveries whose task was lost."""

from __future__ import annotations

from uuid import UUID

import structlog
from celery import shared_task
from django.conf import settings

from conectar.notifications.services import delivery, queue
from conectar.notifications.services.queue import DELIVER

log = structlog.get_logger(__name__)


@shared_task(bind=True, name=DELIVER, ignore_result=True, acks_late=True)
def deliver(self, delivery_id: str, channel: str | None = None) -> str | None:
    outcome = delivery.delivery_attempt(UUID(delivery_id))
    if outcome.retry_in is not None:
        if self.request.is_eager or settings.CELERY_TASK_ALWAYS_EAGER:
            # No worker to wait for the backoff (development without a broker): it stays pending.
            log.warning("notifications.retry_not_scheduled", delivery_id=delivery_id, reason="eager")
        elif channel is not None:
            queue.enqueue(UUID(delivery_id), channel, countdown=outcome.retry_in)
        else:  # a message queued before deliveries named their channel: the sweep picks it up
            log.warning("notifications.retry_left_for_sweep", delivery_id=delivery_id)
    return outcome.status.value if outcome.status else None


@shared_task(name="notifications.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    grace = max(60.0, 2 * settings.NOTIFY_SWEEP_INTERVAL_SECONDS)
    return delivery.deliveries_sweep(older_than=grace)
