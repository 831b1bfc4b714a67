"""Sending dead letters through their handler again, once the cause is fixed."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone

from conectar.platform.eventbus.models import DeadLetter
from conectar.platform.eventbus.tasks import deliver_event


def redrive(alias: str, ids: Iterable[UUID] | None = None) -> int:
    """Re-enqueue `alias`'s dead letters (all, or those in `ids`) with a fresh retry budget.

    Each letter is marked re-driven before it is enqueued, so a delivery that dies again at once
    records itself as dead afresh rather than being overwritten by this mark.
    """
    letters = DeadLetter.objects.using(alias).filter(status=DeadLetter.Status.DEAD)
    if ids is not None:
        letters = letters.filter(id__in=list(ids))
    count = 0
    for letter in letters:
        claimed = (
            DeadLetter.objects.using(alias)
            .filter(pk=letter.pk, status=DeadLetter.Status.DEAD)
            .update(status=DeadLetter.Status.REDRIVEN, redriven_at=timezone.now())
        )
        if not claimed:
            continue  # another re-drive took it
        try:
            deliver_event.apply_async(args=[letter.envelope, letter.handler])
        except Exception:
            DeadLetter.objects.using(alias).filter(pk=letter.pk).update(status=DeadLetter.Status.DEAD, redriven_at=None)
            raise
        count += 1
    return count
