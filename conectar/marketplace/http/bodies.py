"""Response bodies of the chat routes (one shape wherever a chat or a message is shown)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from conectar.auth_ctx.contracts import Role
from conectar.marketplace.models import Chat, Message
from conectar.marketplace.services.realtime import message_body
from conectar.users import facade as users


def people(user_ids: Iterable[UUID]) -> dict[UUID, dict]:
    """Display data of several people in one call to the users context."""
    profiles = users.get_profiles(user_ids=list(set(user_ids)))
    found = {}
    for user_id, profile in profiles.items():
        nombre, apellido = profile.nombre, profile.apellido
        found[user_id] = {
            "id": str(user_id),
            "nombre": nombre,
            "apellido": apellido,
            "display_name": f"{nombre} {apellido}".strip() or "Usuario",
            "avatar_url": profile.avatar_url,
        }
    return found


def _person(user_id: UUID, known: dict[UUID, dict], role: Role) -> dict:
    person = known.get(user_id) or {
        "id": str(user_id),
        "nombre": "",
        "apellido": "",
        "display_name": "Usuario",
        "avatar_url": None,
    }
    return {**person, "rol": role.value}


def chat_body(
    chat: Chat,
    *,
    viewer_id: UUID,
    known: dict[UUID, dict],
    last_message: Message | None = None,
    unread: int = 0,
) -> dict:
    other_id = chat.other_than(viewer_id)
    other_role = Role.PROFESIONAL if other_id == chat.profesional_id else Role.CLIENTE
    return {
        "id": str(chat.pk),
        "cliente_id": str(chat.cliente_id),
        "profesional_id": str(chat.profesional_id),
        "created_at": chat.created_at.isoformat(),
        "last_message_at": chat.last_message_at.isoformat() if chat.last_message_at else None,
        "other_participant": _person(other_id, known, other_role),
        "last_message": message_body(last_message) if last_message else None,
        "unread_count": unread,
    }


__all__ = ["chat_body", "message_body", "people"]
