"""A person's notification preferences: what they chose, over the catalogue's defaults."""

from __future__ import annotations

from uuid import UUID

from conectar.notifications.catalogue import TIPOS, Tipo
from conectar.notifications.contracts import Channel
from conectar.notifications.models import Preference


def stored(user_id: UUID) -> dict[tuple[str, str], bool]:
    rows = Preference.objects.filter(user_id=user_id).values_list("tipo", "channel", "enabled")
    return {(tipo, channel): enabled for tipo, channel, enabled in rows}


def effective(user_id: UUID) -> dict[str, dict[Channel, bool]]:
    """Every tipo and channel it has: on or off for this person."""
    chosen = stored(user_id)
    return {key: {c: _value(tipo, c, chosen) for c in tipo.channels} for key, tipo in TIPOS.items()}


def for_tipo(user_id: UUID, tipo: Tipo) -> dict[Channel, bool]:
    """This person's switch for each channel of `tipo` (staff alerts and raw messages: always on)."""
    if tipo.key not in TIPOS:
        return dict.fromkeys(tipo.channels, True)
    rows = Preference.objects.filter(user_id=user_id, tipo=tipo.key).values_list("tipo", "channel", "enabled")
    chosen = {(t, c): e for t, c, e in rows}
    return {c: _value(tipo, c, chosen) for c in tipo.channels}


def _value(tipo: Tipo, channel: Channel, chosen: dict[tuple[str, str], bool]) -> bool:
    if channel in tipo.locked:
        return True
    return chosen.get((tipo.key, channel.value), tipo.enabled_by_default(channel))
