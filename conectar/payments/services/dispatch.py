"""Handing work to a Celery worker once the current payments transaction commits.

Services name tasks by their registered name instead of importing `tasks` (which sits above them).
A send that fails (broker down) is logged, not raised: the row it concerns stays due in the
database, and the beat sweep (`payments.sweep`) enqueues it again."""

from __future__ import annotations

import structlog
from celery import current_app
from django.conf import settings
from django.db import transaction

from conectar.platform.databases import alias_for

DB = alias_for("payments")
log = structlog.get_logger(__name__)

PROCESS_NOTIFICATION = "payments.process_notification"
SEND_PAYOUT = "payments.send_payout"
SEND_REFUND = "payments.send_refund"
RESYNC_PAYMENT = "payments.resync_payment"


def enqueue(task_name: str, *args, countdown: float | None = None) -> None:
    """Run `task_name(*args)` on a worker (now, or after `countdown` seconds)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:  # development without a broker: run in this process
        current_app.tasks[task_name].apply(args=[str(a) for a in args])
        return
    try:
        current_app.send_task(task_name, args=[str(a) for a in args], countdown=countdown)
    except Exception:
        log.exception("payments.enqueue_failed", task=task_name, args=[str(a) for a in args])


def enqueue_on_commit(task_name: str, *args, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: enqueue(task_name, *args, countdown=countdown), using=DB)
