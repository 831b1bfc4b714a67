"""The publisher's side of a delivery's end: what a subscriber reported about its attempts.

`handled` and `dead` close a delivery for good; `retry` counts a handler failure and moves the
delivery's next send to when the subscriber's backoff asked for it. A report that never arrives
costs only a resend after the lease: the subscriber dedupes it and reports again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from conectar.platform.eventbus.delivery import RETRY
from conectar.platform.eventbus.models import OutboxDelivery


def deliveries_report(alias: str, *, handler: str, attempts: Iterable[tuple[str, str, float | None]]) -> None:
    now = timezone.now()
    open_ones = OutboxDelivery.objects.using(alias).filter(handler=handler, confirmed_at__isnull=True)
    closed: dict[str, list[str]] = defaultdict(list)
    for event_id, outcome, retry_in in attempts:
        if outcome == RETRY:
            open_ones.filter(event__event_id=event_id).update(
                failures=F("failures") + 1, next_attempt_at=now + timedelta(seconds=retry_in or 0)
            )
        else:
            closed[outcome].append(event_id)
    for outcome, event_ids in closed.items():
        open_ones.filter(event__event_id__in=event_ids).update(confirmed_at=now, outcome=outcome)
