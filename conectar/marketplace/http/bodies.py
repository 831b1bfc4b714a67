"""Response bodies of the chat routes (one shape wherever a chat or a message is shown): this
project's chat and message, and v1's ChatRead / MessageRead (V1-CONTRACT § 3.1) as those plus v1's keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from conectar.auth_ctx.contracts import Role
from conectar.marketplace.http.directory import directory
from conectar.marketplace.models import Chat, Message
from conectar.marketplace.services.realtime import message_body


def people(user_ids: Iterable[UUID]) -> dict[UUID, dict]:
    """Display data of several people in one call (the directory the gateway plugged)."""
    return directory().people(list(set(user_ids)))


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


def _ms(moment: datetime | None) -> int | None:
    """v1's times: milliseconds since the epoch."""
    return None if moment is None else int(moment.timestamp() * 1000)


def _name(user_id: UUID | None, known: dict[UUID, dict]) -> str | None:
    person = known.get(user_id) if user_id else None
    return person["display_name"] if person else None


def chat_read_body(
    chat: Chat,
    *,
    viewer_id: UUID,
    known: dict[UUID, dict],
    last_message: Message | None = None,
    unread: int = 0,
) -> dict:
    """v1's ChatRead: `last_message` is the text (null without messages), `last_message_time` its
    time in ms; this project's keys ride along, the last message's object as `last_message_detail`.
    `known` should hold both participants (their names)."""
    body = chat_body(chat, viewer_id=viewer_id, known=known, last_message=last_message, unread=unread)
    return {
        **body,
        "cliente_nombre": _name(chat.cliente_id, known),
        "profesional_nombre": _name(chat.profesional_id, known),
        "last_message": last_message.text if last_message else None,
        "last_message_time": _ms(last_message.created_at) if last_message else None,
        "last_message_detail": body["last_message"],
    }


def message_read_body(message: Message, *, known: dict[UUID, dict], read: bool) -> dict:
    """v1's MessageRead: this project's message plus `sender_nombre`, `timestamp` (ms) and `read`
    (every participant but the sender has read it)."""
    return {
        **message_body(message),
        "sender_nombre": _name(message.sender_id, known),
        "timestamp": _ms(message.created_at),
        "read": read,
    }


__all__ = ["chat_body", "chat_read_body", "message_body", "message_read_body", "people"]
