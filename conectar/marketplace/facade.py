"""PUBLIC: the functions other contexts and the gateway call. Keyword-only arguments,
DTOs from contracts.py in and out, never models or querysets."""

from __future__ import annotations

from uuid import UUID

from conectar.marketplace.contracts import ChatDTO, MessageDTO, TrabajoDTO
from conectar.marketplace.selectors import chat as chat_selectors
from conectar.marketplace.selectors import trabajos as trabajo_selectors
from conectar.marketplace.services import chat as chat_services


def chat_between(*, cliente_id: UUID, profesional_id: UUID) -> ChatDTO | None:
    """The pair's chat, if they have one (the oferta part checks an oferta's chat with this)."""
    chat = chat_selectors.chat_between(cliente_id, profesional_id)
    return chat_selectors.to_chat_dto(chat) if chat else None


def open_chat(*, cliente_id: UUID, profesional_id: UUID, opened_by: UUID) -> ChatDTO:
    """The pair's one chat, created if needed (no role checks: the caller vouches for the pair)."""
    chat, _ = chat_services.chat_open(cliente_id=cliente_id, profesional_id=profesional_id, opened_by=opened_by)
    return chat_selectors.to_chat_dto(chat)


def post_system_message(*, chat_id: UUID, text: str) -> MessageDTO:
    """A `sistema` message in the chat (oferta made/accepted/rejected…), delivered and announced
    like any other. Joins the caller's transaction on the marketplace database if one is open."""
    return chat_selectors.to_message_dto(chat_services.system_message_post(chat_id=chat_id, text=text))


def trabajo(*, trabajo_id: UUID) -> TrabajoDTO | None:
    """A trabajo's parties, state and price (payments' staff tools and the gateway's compositions)."""
    found = trabajo_selectors.trabajo_by_id(trabajo_id)
    return trabajo_selectors.to_dto(found) if found else None
