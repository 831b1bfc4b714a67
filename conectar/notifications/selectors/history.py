"""A person's notifications, newest first, a keyset page at a time."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, Q

from conectar.notifications.models import Delivery, Notification
from conectar.shared.errors import InvalidInput


def history_page(user_id: UUID, *, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
    rows = Notification.objects.filter(user_id=user_id)
    if cursor:
        created_at, last_id = _decode(cursor)
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=last_id))
    page = list(
        rows.order_by("-created_at", "-id").prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("channel"))
        )[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return page, (_encode(page[-1]) if more else None)


def _encode(notification: Notification) -> str:
    raw = f"{notification.created_at.isoformat()}|{notification.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, UUID]:
    invalid = InvalidInput(fields={"cursor": ["Cursor inválido."]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, last_id = raw.partition("|")
        moment, last = datetime.fromisoformat(created_at), UUID(last_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise invalid from exc
    if moment.tzinfo is None:
        raise invalid
    return moment, last
