"""Timing of the workers' retries of refunds and payouts (MercadoPago faults)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

BACKOFF_CAP_SECONDS = 15 * 60
# A task may run a moment before the time it was scheduled for (clocks, countdown rounding).
_EARLY_SLACK = timedelta(seconds=1)


def backoff_seconds(attempt: int) -> float:
    """Exponential with equal jitter: between half and all of min(cap, base · 2^(attempt-1))."""
    ceiling = min(BACKOFF_CAP_SECONDS, settings.PAYMENTS_RETRY_BACKOFF_SECONDS * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


def lease_seconds() -> float:
    """How long a claimed attempt owns its row: longer than one adapter call with its own retries
    (PAYMENTS_LEASE_SECONDS overrides it: tests prove a takeover after a short one)."""
    if settings.PAYMENTS_LEASE_SECONDS > 0:
        return settings.PAYMENTS_LEASE_SECONDS
    per_call = settings.MERCADOPAGO_TIMEOUT_SECONDS * 2  # connect + read
    return per_call * (1 + getattr(settings, "MERCADOPAGO_MAX_RETRIES", 2)) + 30


def hold(row, *, reason: str) -> None:
    """Stop scheduling a claimed refund or payout (next_attempt_at None) until staff release it."""
    row.next_attempt_at = None
    row.last_error = reason
    row.save(update_fields=["next_attempt_at", "last_error", "updated_at"])


def take_lease(row) -> None:
    """Count one attempt and own the row for it: if the worker dies mid-call, the sweep finds it due
    again once the lease is over."""
    row.attempts += 1
    row.next_attempt_at = timezone.now() + timedelta(seconds=lease_seconds())
    row.save(update_fields=["attempts", "next_attempt_at", "updated_at"])


def is_due(at: datetime | None) -> bool:
    """None means held (not scheduled): a frozen trabajo's payout waits for staff."""
    return at is not None and at <= timezone.now() + _EARLY_SLACK
