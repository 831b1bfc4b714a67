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


@dataclass(frozen=True)
class ChatStandingDTO:
    """A user's contact-shielding record as others show it: infractions since the last lift (v1's
    `infracciones_chat`) and whether the chat ban is on (`is_chat_banned`). No record = a clean one."""

    user_id: UUID
    infracciones: int
    is_banned: bool


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


class OfertaEstado(enum.StrEnum):
    OFERTADO = "OFERTADO"
    ACEPTADO = "ACEPTADO"
    RECHAZADO = "RECHAZADO"
    RETIRADO = "RETIRADO"
    EXPIRADO = "EXPIRADO"


class EstadoEscrow(enum.StrEnum):
    """A trabajo's state (DOMAIN.md § Trabajo and escrow); the transition table lives in
    marketplace.workflow."""

    PENDIENTE_PAGO = "PENDIENTE_PAGO"
    PAGADO_EN_ESCROW = "PAGADO_EN_ESCROW"
    ENTREGADO = "ENTREGADO"
    LIBERADO = "LIBERADO"
    CANCELADO = "CANCELADO"
    CANCELADO_REEMBOLSADO = "CANCELADO_REEMBOLSADO"
    EN_DISPUTA = "EN_DISPUTA"
    RESUELTO = "RESUELTO"


@dataclass(frozen=True)
class TrabajoDTO:
    id: UUID
    cliente_id: UUID
    profesional_id: UUID
    oferta_id: UUID
    chat_id: UUID
    estado: EstadoEscrow
    precio_final: Decimal
    tasa_comision: Decimal


# --- ofertas ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _OfferEvent(DomainEvent):
    oferta_id: UUID
    chat_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    descripcion: str
    precio_final: Decimal


@dataclass(frozen=True, kw_only=True)
class OfferCreated(_OfferEvent):
    name: ClassVar[str] = "marketplace.offer_created"
    expira_en: datetime


@dataclass(frozen=True, kw_only=True)
class OfferAccepted(_OfferEvent):
    """The client accepted: the trabajo exists in PENDIENTE_PAGO (its checkout is asked for next)."""

    name: ClassVar[str] = "marketplace.offer_accepted"
    trabajo_id: UUID


@dataclass(frozen=True, kw_only=True)
class OfferRejected(_OfferEvent):
    name: ClassVar[str] = "marketplace.offer_rejected"


@dataclass(frozen=True, kw_only=True)
class OfferWithdrawn(_OfferEvent):
    name: ClassVar[str] = "marketplace.offer_withdrawn"


@dataclass(frozen=True, kw_only=True)
class OfferExpired(_OfferEvent):
    name: ClassVar[str] = "marketplace.offer_expired"


# --- trabajos ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _WorkEvent(DomainEvent):
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID


@dataclass(frozen=True, kw_only=True)
class WorkPaid(_WorkEvent):
    """The payment was confirmed: the money is in escrow and the work can start."""

    name: ClassVar[str] = "marketplace.work_paid"
    precio_final: Decimal


@dataclass(frozen=True, kw_only=True)
class WorkDelivered(_WorkEvent):
    """The professional marked the work done; the client has until `auto_release_at` to finalize
    or dispute before release happens by itself."""

    name: ClassVar[str] = "marketplace.work_delivered"
    auto_release_at: datetime


@dataclass(frozen=True, kw_only=True)
class DisputeOpened(_WorkEvent):
    """Release is frozen until staff resolve. `opened_by` SISTEMA: a chargeback or mediation."""

    name: ClassVar[str] = "marketplace.dispute_opened"
    opened_by: Actor
    motivo: str


@dataclass(frozen=True, kw_only=True)
class ReviewCreated(DomainEvent):
    """A review was written; it stays hidden until published (double-blind)."""

    name: ClassVar[str] = "marketplace.review_created"
    resena_id: UUID
    trabajo_id: UUID
    autor_id: UUID
    autor_rol: Actor
    destinatario_id: UUID
    rating: int


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
    """The trabajo was cancelled. `refund` is True when money was held (payments refunds the whole
    escrow then); an unpaid trabajo cancelled by time has `refund` False."""

    name: ClassVar[str] = "marketplace.work_cancelled"
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    cancelled_by: Actor
    professional_at_fault: bool
    refund: bool
    precio_final: Decimal
    motivo: str = ""


@dataclass(frozen=True, kw_only=True)
class DisputeResolved(DomainEvent):
    """Staff split a disputed trabajo: `monto_reembolsado` back to the client, `monto_liberado` to the
    professional, commission on the released part only. The three amounts add up to the price."""

    name: ClassVar[str] = "marketplace.dispute_resolved"
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    porcentaje_reembolso: int
    professional_lost: bool
    precio_final: Decimal
    tasa_comision: Decimal
    monto_reembolsado: Decimal
    comision_plataforma: Decimal
    monto_liberado: Decimal


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
