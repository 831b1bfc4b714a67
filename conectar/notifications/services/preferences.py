"""Changing a person's notification switches (event tipo and channel)."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from conectar.notifications.catalogue import TIPOS
from conectar.notifications.contracts import Channel, PreferenceLocked
from conectar.notifications.models import Preference
from conectar.platform.databases import alias_for
from conectar.shared.errors import InvalidInput

DB = alias_for("notifications")


def preferences_update(*, user_id: UUID, changes: dict[str, dict[str, bool]]) -> None:
    """Set the given switches; the rest keep their value (or default). All or nothing."""
    rows, errors = [], {}
    for key, switches in changes.items():
        tipo = TIPOS.get(key)
        if tipo is None:
            errors[f"preferences.{key}"] = ["No existe ese tipo de aviso."]
            continue
        for name, on in switches.items():
            channel = Channel(name) if name in Channel._value2member_map_ else None
            if channel is None or channel not in tipo.channels:
                errors[f"preferences.{key}.{name}"] = ["Ese canal no existe para este tipo de aviso."]
                continue
            if channel in tipo.locked and not on:
                raise PreferenceLocked(
                    f"«{tipo.label}» por {channel.value} no se puede desactivar: es un aviso de seguridad."
                )
            rows.append(
                Preference(user_id=user_id, tipo=key, channel=channel.value, enabled=on, updated_at=timezone.now())
            )
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic(using=DB):
        Preference.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user_id", "tipo", "channel"],
            update_fields=["enabled", "updated_at"],
        )
