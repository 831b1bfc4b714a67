"""The publisher's side of a delivery's end: what a subscriber reported about its attempts.

`handled` and `dead` close a delivery for good; `retry` counts a handler failure and moves the
delivery's next send to when the subscriber's backoff asked for it — unless the report says it was an
outage (a fourth item, true: a database out of reach), which moves the send without counting. A
report that never arrives costs only a resend after the lease: the subscriber dedupes it and reports
again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conectar.platform.eventbus.delivery import RETRY
from conectar.platform.eventbus.models import OutboxDelivery
from conectar.platform.eventbus.relay import commit_without_flush_wait


def deliveries_report(alias: str, *, handler: str, attempts: Iterable[Sequence]) -> None:
    """`attempts`: (event_id, outcome, retry_in) or (event_id, outcome, retry_in, outage) each."""
    now = timezone.now()
    open_ones = OutboxDelivery.objects.using(alias).filter(handler=handler, confirmed_at__isnull=True)
    closed: dict[str, list[str]] = defaultdict(list)
    with transaction.atomic(using=alias):
        commit_without_flush_wait(alias)  # a lost confirmation costs a resend, deduped by the subscriber
        for event_id, outcome, retry_in, *outage in attempts:
            if outcome == RETRY:
                changes = {"next_attempt_at": now + timedelta(seconds=retry_in or 0)}
                if not any(outage):
                    changes["failures"] = F("failures") + 1
                open_ones.filter(event__event_id=event_id).update(**changes)
            else:
                closed[outcome].append(event_id)
        for outcome, event_ids in closed.items():
            open_ones.filter(event__event_id__in=event_ids).update(confirmed_at=now, outcome=outcome)
