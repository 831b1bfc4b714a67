"""Sending dead letters through their handler again, once the cause is fixed.

The handler runs right here, in the caller's process (Django admin, the management command): the
outcome is known when the call returns, and no message can be lost on the way."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import structlog
from django.utils import timezone

from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.models import DeadLetter
from conectar.platform.eventbus.subscriptions import subscription

log = structlog.get_logger(__name__)


def redrive(alias: str, ids: Iterable[UUID] | None = None) -> int:
    """Run `alias`'s dead letters (all, or those in `ids`) through their handler once more.
    A letter that succeeds is marked re-driven; one that fails again stays dead with the new error.
    Returns how many succeeded."""
    letters = DeadLetter.objects.using(alias).filter(status=DeadLetter.Status.DEAD)
    if ids is not None:
        letters = letters.filter(id__in=list(ids))
    succeeded = 0
    for letter in letters:
        try:
            handle_once(subscription(letter.handler), letter.envelope)
        except Exception as exc:  # noqa: BLE001 - one letter's failure must not stop the others
            log.warning("eventbus.redrive_failed", letter=str(letter.pk), error=repr(exc))
            DeadLetter.objects.using(alias).filter(pk=letter.pk).update(
                attempts=letter.attempts + 1, last_error=repr(exc)[:10_000], died_at=timezone.now()
            )
            continue
        DeadLetter.objects.using(alias).filter(pk=letter.pk).update(
            status=DeadLetter.Status.REDRIVEN, redriven_at=timezone.now()
        )
        succeeded += 1
    return succeeded
