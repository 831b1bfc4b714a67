"""PUBLIC: what the marketplace, payments and the gateway may ask of the professionals context.
Keyword-only arguments, DTOs from contracts.py in and out. People by account UUID."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from conectar.professionals.contracts import KycCounts, KycStatus, ProfessionalSummary, WorkEligibility
from conectar.professionals.selectors import profiles


def kyc_counts() -> KycCounts:
    return profiles.kyc_counts()


def work_eligibility(*, usuario_id: UUID) -> WorkEligibility:
    """Can this professional receive work now (make ofertas, be hired)? DOMAIN.md: only when
    APROBADO, active and located."""
    professional = profiles.professional_by_account(usuario_id)
    if professional is None:
        return WorkEligibility(False, "No es un profesional registrado.")
    if professional.estado_verificacion != KycStatus.APROBADO:
        return WorkEligibility(False, "Tu verificación de identidad todavía no está aprobada.")
    if not professional.account_active:
        return WorkEligibility(False, "La cuenta está suspendida.")
    if professional.location is None:
        return WorkEligibility(False, "Cargá tu ubicación para recibir trabajos.")
    return WorkEligibility(True, None)


def commission_rate(*, usuario_id: UUID) -> Decimal | None:
    """The commission rate now; the marketplace freezes it on the trabajo when an oferta is accepted."""
    professional = profiles.professional_by_account(usuario_id)
    return professional.tasa_comision_actual if professional else None


def payout_account(*, usuario_id: UUID) -> str | None:
    professional = profiles.professional_by_account(usuario_id)
    return (professional.payout_account or None) if professional else None


def summary(*, usuario_id: UUID) -> ProfessionalSummary | None:
    professional = profiles.professional_by_account(usuario_id)
    return profiles.to_summary(professional) if professional else None
