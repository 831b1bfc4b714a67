"""PUBLIC: what other contexts and the gateway may ask of the users context."""

from __future__ import annotations

from uuid import UUID

from conectar.platform.lifting.facades import Facade
from conectar.users.contracts import ProfileDTO

context = Facade("users")
if context.runs_here:  # the internals exist only where users runs
    from conectar.users import selectors


@context.function(idempotent=True)
def get_profile(*, user_id: UUID) -> ProfileDTO | None:
    profile = selectors.profile_get(user_id)
    return selectors.to_dto(profile) if profile else None


@context.function(idempotent=True)
def get_profiles(*, user_ids: list[UUID]) -> dict[UUID, ProfileDTO]:
    return {uid: selectors.to_dto(p) for uid, p in selectors.profiles_by_ids(user_ids).items()}
