"""PUBLIC: what other contexts and the gateway may ask of the users context."""

from __future__ import annotations

from uuid import UUID

from conectar.platform.lifting.facades import Facade
from conectar.platform.uploads import clean_image
from conectar.users.contracts import ProfileDTO

context = Facade("users")
if context.runs_here:  # the internals exist only where users runs
    from conectar.users import selectors, services


@context.function(idempotent=True)
def get_profile(*, user_id: UUID) -> ProfileDTO | None:
    profile = selectors.profile_get(user_id)
    return selectors.to_dto(profile) if profile else None


@context.function(idempotent=True)
def get_profiles(*, user_ids: list[UUID]) -> dict[UUID, ProfileDTO]:
    return {uid: selectors.to_dto(p) for uid, p in selectors.profiles_by_ids(user_ids).items()}


@context.function(idempotent=True)
def update_profile(*, user_id: UUID, changes: dict[str, str | None]) -> ProfileDTO:
    """The person's own change of any of nombre, apellido, telefono (InvalidInput names a bad
    field); the profile is started if the registration event has not made it yet."""
    return selectors.to_dto(services.profile_update(user_id=user_id, changes=changes))


@context.function(idempotent=True)
def set_avatar(*, user_id: UUID, content: bytes) -> ProfileDTO:
    """The person's new avatar from an uploaded file's bytes (JPEG, PNG or WebP; judged by content,
    re-encoded without metadata, at most 1024 pixels a side)."""
    image = clean_image(content, max_side=1024)
    return selectors.to_dto(services.avatar_set(user_id=user_id, image=image))
