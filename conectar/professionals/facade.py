"""PUBLIC: what the marketplace, payments and the gateway may ask of the professionals context.
Keyword-only arguments, DTOs from contracts.py in and out. People by account UUID."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from django.core.files.base import ContentFile

from conectar.platform.databases import alias_for
from conectar.platform.lifting.facades import Facade
from conectar.professionals.contracts import (
    DocumentUpload,
    KycCounts,
    KycStatus,
    NotAProfessional,
    OficioDTO,
    ProfessionalSummary,
    WorkEligibility,
    WorkProfile,
)

context = Facade("professionals")
if context.runs_here:  # the internals exist only where professionals runs
    from conectar.professionals.selectors import catalogue as catalogue_selectors
    from conectar.professionals.selectors import portfolio as portfolio_selectors
    from conectar.professionals.selectors import profiles
    from conectar.professionals.services import catalogue, kyc, kyc_documents, portfolio, profile_settings
    from conectar.professionals.services import profiles as profile_services

DB = alias_for("professionals")


@context.function(idempotent=True)
def kyc_counts() -> KycCounts:
    return profiles.kyc_counts()


@context.function(idempotent=True)
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


@context.function(idempotent=True)
def commission_rate(*, usuario_id: UUID) -> Decimal | None:
    """The commission rate now; the marketplace freezes it on the trabajo when an oferta is accepted."""
    professional = profiles.professional_by_account(usuario_id)
    return professional.tasa_comision_actual if professional else None


@context.function(idempotent=True)
def payout_account(*, usuario_id: UUID) -> str | None:
    professional = profiles.professional_by_account(usuario_id)
    return (professional.payout_account or None) if professional else None


@context.function(idempotent=True)
def summary(*, usuario_id: UUID) -> ProfessionalSummary | None:
    professional = profiles.professional_by_account(usuario_id)
    return profiles.to_summary(professional) if professional else None


# --- setting professionals up without the routes (demo data, imports) --------------------------------


@context.function(idempotent=True)
def ensure_catalogue() -> list[OficioDTO]:
    """The oficio catalogue, with any missing part of the shipped one put back first."""
    catalogue.catalogue_ensure()
    return catalogue_selectors.oficios()


@context.function(idempotent=True)
def ensure_professional(*, usuario_id: UUID, nombre: str, apellido: str) -> ProfessionalSummary:
    """What the registration event does, for a caller that cannot wait for it (idempotent: the
    event, when it arrives, finds the professional there)."""
    professional = profile_services.professional_ensure(usuario_id=usuario_id, nombre=nombre, apellido=apellido)
    return profiles.to_summary(professional)


@context.function(idempotent=True)
def summaries(*, usuario_ids: list[UUID]) -> dict[UUID, ProfessionalSummary]:
    return {p.usuario_id: profiles.to_summary(p) for p in profiles.professionals_by_accounts(usuario_ids)}


@context.function(idempotent=True)
def set_up_work_profile(*, usuario_id: UUID, profile: WorkProfile) -> ProfessionalSummary:
    """The routes' profile, oficios, instant services, location and payout account, in one go."""
    return profiles.to_summary(profile_settings.work_profile_set(usuario_id=usuario_id, profile=profile))


@context.function(idempotent=True)
def portfolio_titles(*, usuario_id: UUID) -> list[str]:
    return portfolio_selectors.item_titles(_own(usuario_id).pk)


@context.function(idempotent=False)
def add_portfolio_item(*, usuario_id: UUID, titulo: str, descripcion: str, images: Sequence[bytes]) -> UUID:
    """A portfolio item and its images, each image checked and re-encoded like an upload."""
    professional_id = _own(usuario_id).pk
    item = portfolio.portfolio_item_create(professional_id=professional_id, titulo=titulo, descripcion=descripcion)
    for number, content in enumerate(images, start=1):
        upload = ContentFile(content, name=f"imagen-{number}")
        portfolio.portfolio_image_add(professional_id=professional_id, item_id=item["id"], upload=upload)
    return item["id"]


@context.function(idempotent=False)
def submit_kyc_documents(*, usuario_id: UUID, documents: Sequence[DocumentUpload]) -> ProfessionalSummary:
    """As the upload route: documents checked by content, stored privately, off to staff review."""
    professional = kyc_documents.kyc_documents_submit(
        usuario_id=usuario_id,
        files=[ContentFile(d.content, name=d.filename) for d in documents],
        kinds=[d.kind for d in documents],
    )
    return profiles.to_summary(professional)


@context.function(idempotent=False)
def approve_kyc(*, professional_id: UUID, by: UUID | None) -> ProfessionalSummary:
    """Staff's decision, as Django admin and the admin route take it (history, events, search)."""
    return profiles.to_summary(kyc.kyc_approve(professional_id=professional_id, by=by))


def _own(usuario_id: UUID):
    professional = profiles.professional_by_account(usuario_id)
    if professional is None:
        raise NotAProfessional
    return professional
