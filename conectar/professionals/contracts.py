"""PUBLIC: what other contexts may know of professionals — enums, DTOs, events, exceptions.
Standard library only."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from conectar.shared.errors import Conflict, DomainError
from conectar.shared.events import DomainEvent


class KycStatus(enum.StrEnum):
    PENDIENTE = "PENDIENTE"
    EN_REVISION = "EN_REVISION"
    APROBADO = "APROBADO"
    RECHAZADO = "RECHAZADO"


class Nivel(enum.StrEnum):
    BRONCE = "BRONCE"
    PLATA = "PLATA"
    ORO = "ORO"
    DIAMANTE = "DIAMANTE"


@dataclass(frozen=True)
class KycCounts:
    pendientes: int  # documents submitted, waiting for staff (EN_REVISION)
    aprobados: int


@dataclass(frozen=True)
class ProfessionalSummary:
    """What the marketplace shows of a professional next to a chat, an oferta or a trabajo."""

    id: UUID
    usuario_id: UUID
    nombre: str
    apellido: str
    avatar_url: str | None
    nivel: Nivel
    rating_promedio: Decimal
    total_resenas: int
    estado_verificacion: KycStatus


@dataclass(frozen=True)
class WorkEligibility:
    can_receive_work: bool
    reason: str | None  # why not, in Spanish, for the person who tried


@dataclass(frozen=True)
class OficioDTO:
    id: UUID
    nombre: str
    servicio_ids: tuple[UUID, ...]  # its instant services


@dataclass(frozen=True)
class WorkProfile:
    """What a professional sets up to be found and hired: where, how far, what, for how much, and
    where the money goes (the routes' profile, oficios, services, location and payout, in one)."""

    latitude: float
    longitude: float
    radio_cobertura_km: int
    oficio_ids: tuple[UUID, ...]
    servicio_ids: tuple[UUID, ...] = ()
    acepta_instant: bool = False
    tarifa_por_hora: Decimal | None = None
    payout_account: str = ""


@dataclass(frozen=True)
class DocumentUpload:
    """An identity document's bytes; judged by content like any upload."""

    kind: str  # DNI_FRENTE, DNI_DORSO, SELFIE, MATRICULA or OTRO
    filename: str
    content: bytes


# --- exceptions -------------------------------------------------------------------------------------


class NotAProfessional(DomainError):
    status = 403
    code = "not_a_professional"
    default_detail = "Esta acción es solo para profesionales."


class KycStateConflict(Conflict):
    code = "kyc_invalid_state"


# --- events published -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProfessionalCreated(DomainEvent):
    name: ClassVar[str] = "professionals.professional_created"
    professional_id: UUID
    usuario_id: UUID


@dataclass(frozen=True, kw_only=True)
class KYCSubmitted(DomainEvent):
    name: ClassVar[str] = "professionals.kyc_submitted"
    professional_id: UUID
    usuario_id: UUID
    documents: int


@dataclass(frozen=True, kw_only=True)
class KYCApproved(DomainEvent):
    name: ClassVar[str] = "professionals.kyc_approved"
    professional_id: UUID
    usuario_id: UUID
    decided_by: UUID | None


@dataclass(frozen=True, kw_only=True)
class KYCRejected(DomainEvent):
    name: ClassVar[str] = "professionals.kyc_rejected"
    professional_id: UUID
    usuario_id: UUID
    decided_by: UUID | None
    motivo: str


@dataclass(frozen=True, kw_only=True)
class ProfessionalApproved(DomainEvent):
    """The professional can now be found and hired (KYC approved, active and located)."""

    name: ClassVar[str] = "professionals.professional_approved"
    professional_id: UUID
    usuario_id: UUID


@dataclass(frozen=True, kw_only=True)
class LocationUpdated(DomainEvent):
    name: ClassVar[str] = "professionals.location_updated"
    professional_id: UUID
    latitude: float
    longitude: float
    radio_cobertura_km: int


@dataclass(frozen=True, kw_only=True)
class LevelChanged(DomainEvent):
    name: ClassVar[str] = "professionals.level_changed"
    professional_id: UUID
    usuario_id: UUID
    previous: Nivel
    current: Nivel
    puntos_experiencia: int
    tasa_comision: Decimal
