"""`GET · PUT /notify/preferences/{user_id}`: a person's switches per event tipo and channel (the
person themself, or staff). Security e-mails cannot be switched off."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Schema
from pydantic import Field

from conectar.notifications.catalogue import TIPOS
from conectar.notifications.selectors import preferences as preference_selectors
from conectar.notifications.services import people
from conectar.notifications.services import preferences as preference_services
from conectar.shared.errors import NotFound, PermissionDenied

router = Router(tags=["notifications"])


class PreferenceIn(Schema):
    event_type: str = Field(min_length=1, max_length=40)
    channels: dict[str, bool] = Field(min_length=1)


class PreferencesIn(Schema):
    preferences: list[PreferenceIn] = Field(min_length=1, max_length=100)


def _check_access(request, user_id: UUID) -> None:
    me = request.auth
    is_staff = me.is_staff or me.role == "ADMIN"
    if me.user_id != user_id and not is_staff:
        raise PermissionDenied("Solo podés ver y cambiar tus propias preferencias.")
    if me.user_id != user_id and not people.is_known_account(user_id):
        raise NotFound("No encontramos a ese usuario.")


def _body(user_id: UUID) -> dict:
    switches = preference_selectors.effective(user_id)
    return {
        "user_id": str(user_id),
        "preferences": [
            {
                "event_type": key,
                "label": tipo.label,
                "channels": {channel.value: on for channel, on in switches[key].items()},
                "locked": sorted(c.value for c in tipo.locked),
            }
            for key, tipo in TIPOS.items()
        ],
    }


@router.get("/notify/preferences/{user_id}", response=dict, summary="Notification preferences (self or staff)")
def preferences_get(request, user_id: UUID):
    _check_access(request, user_id)
    return _body(user_id)


@router.put("/notify/preferences/{user_id}", response=dict, summary="Change notification preferences")
def preferences_put(request, user_id: UUID, payload: PreferencesIn):
    _check_access(request, user_id)
    preference_services.preferences_update(
        user_id=user_id, changes={p.event_type: p.channels for p in payload.preferences}
    )
    return _body(user_id)
