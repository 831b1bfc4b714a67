"""PUBLIC: what other contexts may know of the marketplace — events, enums, DTOs.
Standard library only. People are identified by account UUIDs (`cliente_id`, `profesional_id`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from conectar.shared.errors import DomainError
from conectar.shared.events import DomainEvent


class MessageKind(enum.StrEnum):
    TEXTO = "texto"
    OFERTA = "oferta"
    SISTEMA = "sistema"


@dataclass(frozen=True)
class ChatDTO:
    id: UUID
    cliente_id: UUID
    profesional_id: UUID
    created_at: datetime
    last_message_at: datetime | None


@dataclass(frozen=True)
class MessageDTO:
    id: UUID
    chat_id: UUID
    sender_id: UUID | None  # None for `sistema` messages
    kind: MessageKind
    text: str  # as stored: already shielded
    masked: bool
    created_at: datetime


class ChatBannedError(DomainError):
    """The sender collected too many contact-shielding infractions; staff must lift the ban."""

    status = 403
    code = "chat_banned"
    default_detail = (
        "No podés enviar mensajes: tu chat está bloqueado por compartir datos de contacto. "
        "Escribí a soporte para revisarlo."
    )


class Actor(enum.StrEnum):
    CLIENTE = "CLIENTE"
    PROFESIONAL = "PROFESIONAL"
    STAFF = "STAFF"
    SISTEMA = "SISTEMA"


@dataclass(frozen=True, kw_only=True)
class WorkCompleted(DomainEvent):
    """The trabajo was released (LIBERADO): the professional is paid its part."""

    name: ClassVar[str] = "marketplace.work_completed"
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    precio_final: Decimal
    tasa_comision: Decimal
    comision_plataforma: Decimal
    monto_liberado: Decimal


@dataclass(frozen=True, kw_only=True)
class WorkCancelled(DomainEvent):
    name: ClassVar[str] = "marketplace.work_cancelled"
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    cancelled_by: Actor
    professional_at_fault: bool
    refund: bool


@dataclass(frozen=True, kw_only=True)
class DisputeResolved(DomainEvent):
    name: ClassVar[str] = "marketplace.dispute_resolved"
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    porcentaje_reembolso: int
    professional_lost: bool


@dataclass(frozen=True, kw_only=True)
class ReviewPublished(DomainEvent):
    """A review became public (both sides reviewed, or the window closed)."""

    name: ClassVar[str] = "marketplace.review_published"
    resena_id: UUID
    trabajo_id: UUID
    autor_id: UUID
    autor_rol: Actor  # CLIENTE reviews the professional; PROFESIONAL reviews the client
    destinatario_id: UUID
    profesional_id: UUID
    rating: int
    texto: str
    autor_nombre: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReviewReplied(DomainEvent):
    """The professional's one public reply to a review they received."""

    name: ClassVar[str] = "marketplace.review_replied"
    resena_id: UUID
    profesional_id: UUID
    texto: str


# --- chat ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChatCreated(DomainEvent):
    name: ClassVar[str] = "marketplace.chat_created"
    chat_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    created_by: UUID


@dataclass(frozen=True, kw_only=True)
class MessageSent(DomainEvent):
    """One per recipient (a `sistema` message has two). `recipient_online` is False when the
    recipient had no open chat socket at send time: the notifications context pushes then."""

    name: ClassVar[str] = "marketplace.message_sent"
    chat_id: UUID
    message_id: UUID
    sender_id: UUID | None
    recipient_id: UUID
    kind: MessageKind
    preview: str  # the shielded text, at most 100 chars
    recipient_online: bool


@dataclass(frozen=True, kw_only=True)
class ChatBanned(DomainEvent):
    """The user reached the infraction limit and can no longer send chat messages."""

    name: ClassVar[str] = "marketplace.chat_banned"
    user_id: UUID
    infractions: int


@dataclass(frozen=True, kw_only=True)
class ChatBanLifted(DomainEvent):
    name: ClassVar[str] = "marketplace.chat_ban_lifted"
    user_id: UUID
    lifted_by: UUID | None
