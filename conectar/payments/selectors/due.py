"""What the beat sweep must (re-)send: work whose task was lost (broker down at commit, a worker
that died mid-call and whose lease ran out)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from conectar.payments.models import Payout, PayoutStatus, Refund, RefundStatus, WebhookNotification

# A notification is normally processed within a second; one older than this lost its task.
NOTIFICATION_GRACE = timedelta(seconds=30)
NOTIFICATION_MAX_ATTEMPTS = 20
BATCH = 200


def due_notifications() -> list[int]:
    cutoff = timezone.now() - NOTIFICATION_GRACE
    return list(
        WebhookNotification.objects.filter(
            processed_at=None, received_at__lte=cutoff, attempts__lt=NOTIFICATION_MAX_ATTEMPTS
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:BATCH]
    )


def due_refunds() -> list:
    return list(
        Refund.objects.filter(status=RefundStatus.REQUESTED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )


def due_payouts() -> list:
    return list(
        Payout.objects.filter(status__in=[PayoutStatus.PENDING, PayoutStatus.SENT], next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
