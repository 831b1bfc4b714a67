"""PUBLIC: what other contexts may know of the marketplace — events, enums, DTOs.
Standard library only. People are identified by account UUIDs (`cliente_id`, `profesional_id`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from conectar.shared.events import DomainEvent


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
