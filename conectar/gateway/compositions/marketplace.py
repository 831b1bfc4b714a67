"""The marketplace's pages name people: who they are is the users context's (profiles) and the
professionals context's (rating). This is the directory the marketplace's routes ask
(marketplace/http/directory.py), composed from those two facades; gateway/api.py plugs it where it
mounts the marketplace's routes."""

from __future__ import annotations

from uuid import UUID

from conectar.professionals import facade as professionals
from conectar.professionals.contracts import ProfessionalSummary
from conectar.users import facade as users


class FacadeDirectory:
    def people(self, user_ids: list[UUID]) -> dict[UUID, dict]:
        found = {}
        for user_id, profile in users.get_profiles(user_ids=user_ids).items():
            nombre, apellido = profile.nombre, profile.apellido
            found[user_id] = {
                "id": str(user_id),
                "nombre": nombre,
                "apellido": apellido,
                "display_name": f"{nombre} {apellido}".strip() or "Usuario",
                "avatar_url": profile.avatar_url,
            }
        return found

    def professional_summaries(self, usuario_ids: list[UUID]) -> dict[UUID, ProfessionalSummary]:
        return professionals.summaries(usuario_ids=usuario_ids)
