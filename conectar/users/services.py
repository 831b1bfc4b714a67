"""Writes of the users context: profiles and avatars."""

from __future__ import annotations

import uuid
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.platform.uploads import CleanImage
from conectar.shared.errors import InvalidInput
from conectar.users.contracts import AvatarUploaded, UserUpdated
from conectar.users.models import Profile
from conectar.users.selectors import avatar_url

DB = alias_for("users")
EDITABLE = ("nombre", "apellido", "telefono")


def profile_create(*, user_id: UUID, nombre: str, apellido: str) -> Profile:
    """Idempotent. The registration event may arrive after the person already started the profile
    (an avatar, a phone): then it only fills the names still empty."""
    profile, created = Profile.objects.get_or_create(pk=user_id, defaults={"nombre": nombre, "apellido": apellido})
    if not created and not (profile.nombre and profile.apellido):
        profile.nombre = profile.nombre or nombre
        profile.apellido = profile.apellido or apellido
        profile.save(update_fields=["nombre", "apellido", "updated_at"])
    return profile


def _locked_profile(user_id: UUID) -> Profile:
    """The profile, row-locked. If the registration event has not made it yet, it is started here
    with empty names; the event's handler may be inserting it at this very moment, so the insert
    keeps whichever row came first (ON CONFLICT DO NOTHING) instead of failing."""
    profile = Profile.objects.select_for_update().filter(pk=user_id).first()
    if profile is None:
        Profile.objects.bulk_create([Profile(pk=user_id, nombre="", apellido="")], ignore_conflicts=True)
        profile = Profile.objects.select_for_update().get(pk=user_id)
    return profile


def profile_update(*, user_id: UUID, changes: dict) -> Profile:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic(using=DB):
        profile = _locked_profile(user_id)
        changed = tuple(sorted(k for k, v in changes.items() if getattr(profile, k) != (v or "")))
        for field, value in changes.items():
            setattr(profile, field, value or "")
        # Names not sent may still be empty (the registration event fills them): only what the
        # person sent is validated for blankness.
        unsent_names = [name for name in ("nombre", "apellido") if name not in changes]
        try:
            profile.full_clean(exclude=unsent_names)
        except ValidationError as exc:
            raise InvalidInput(fields=exc.message_dict) from exc
        profile.save()
        if changed:
            publish(
                UserUpdated(
                    user_id=user_id,
                    changed=changed,
                    nombre=profile.nombre,
                    apellido=profile.apellido,
                    telefono=profile.telefono or None,
                )
            )
    return profile


def avatar_set(*, user_id: UUID, image: CleanImage) -> Profile:
    """Store the (already cleaned) image under a fresh name, then point the profile at it; the old
    file is removed only after the new one is committed."""
    name = default_storage.save(f"avatars/{user_id}/{uuid.uuid4().hex}.{image.extension}", ContentFile(image.content))
    try:
        with transaction.atomic(using=DB):
            profile = _locked_profile(user_id)
            previous = profile.avatar
            profile.avatar = name
            profile.save()
            publish(AvatarUploaded(user_id=user_id, avatar_url=avatar_url(profile)))
    except Exception:
        default_storage.delete(name)
        raise
    if previous:
        transaction.on_commit(lambda: default_storage.delete(previous), using=DB)
    return profile
