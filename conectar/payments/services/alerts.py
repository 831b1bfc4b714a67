"""Staff alerts: something about money that a person must look at (Django admin: Payments, Payment alerts).
Each alert has a key, so the same condition seen again (a redelivered webhook, a retried task) does
not raise it twice."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import structlog
from django.utils import timezone

from conectar.payments.models import PaymentAlert

log = structlog.get_logger(__name__)


def alert_raise(*, kind: PaymentAlert.Kind, key: str, detail: str, trabajo_id: UUID | None = None) -> None:
    PaymentAlert.objects.bulk_create(
        [PaymentAlert(kind=kind, key=key, trabajo_id=trabajo_id, detail=detail)], ignore_conflicts=True
    )
    log.error("payments.staff_alert", kind=kind.value, key=key, trabajo_id=str(trabajo_id), detail=detail)


def alerts_resolve(*, alert_ids: Iterable[int], by: UUID) -> int:
    """Staff acknowledge alerts (the money itself moves only through its own services)."""
    return PaymentAlert.objects.filter(pk__in=list(alert_ids), resolved_at=None).update(
        resolved_at=timezone.now(), resolved_by=by
    )
