"""A person's FCM devices."""

from __future__ import annotations

from uuid import UUID

from conectar.notifications.models import Device


def tokens_of(user_id: UUID) -> list[str]:
    return list(Device.objects.filter(user_id=user_id).order_by("-last_seen_at").values_list("token", flat=True))


def count_of(user_id: UUID) -> int:
    return Device.objects.filter(user_id=user_id).count()
