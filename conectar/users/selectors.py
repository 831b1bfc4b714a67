"""Reads of the users context."""

from __future__ import annotations

from uuid import UUID

from django.core.files.storage import default_storage

from conectar.users.contracts import ProfileDTO
from conectar.users.models import Profile


def avatar_url(profile: Profile) -> str | None:
    return default_storage.url(profile.avatar) if profile.avatar else None


def to_dto(profile: Profile) -> ProfileDTO:
    return ProfileDTO(
        user_id=profile.user_id,
        nombre=profile.nombre,
        apellido=profile.apellido,
        telefono=profile.telefono or None,
        avatar_url=avatar_url(profile),
    )


def profile_get(user_id: UUID) -> Profile | None:
    return Profile.objects.filter(pk=user_id).first()


def profiles_by_ids(user_ids) -> dict[UUID, Profile]:
    return {p.user_id: p for p in Profile.objects.filter(pk__in=list(user_ids))}
