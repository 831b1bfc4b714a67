"""FCM device tokens: registered by the app, removed on logout, forgotten when FCM says so."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from conectar.notifications.models import Device
from conectar.platform.databases import alias_for
from conectar.shared.errors import NotFound

DB = alias_for("notifications")


def device_register(*, user_id: UUID, token: str, platform: str) -> tuple[Device, bool]:
    """Register (or refresh) a token. A token belongs to one device, so if it was another account's
    (someone else logged in on that phone before) it moves to this one."""
    now = timezone.now()
    with transaction.atomic(using=DB):
        # INSERT … ON CONFLICT DO NOTHING, then lock: concurrent registrations of a token share a row.
        Device.objects.bulk_create(
            [Device(token=token, user_id=user_id, platform=platform, created_at=now, last_seen_at=now)],
            ignore_conflicts=True,
        )
        device = Device.objects.select_for_update().get(token=token)
        created = device.created_at == now and device.user_id == user_id
        if not created:
            device.user_id = user_id
            device.platform = platform
            device.last_seen_at = timezone.now()
            device.save(update_fields=["user_id", "platform", "last_seen_at"])
        return device, created


def device_remove(*, user_id: UUID, token: str) -> None:
    with transaction.atomic(using=DB):
        deleted, _ = Device.objects.filter(token=token, user_id=user_id).delete()
    if not deleted:
        raise NotFound("Ese dispositivo no está registrado en tu cuenta.")
