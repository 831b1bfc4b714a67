"""KYC state machine: PENDIENTE → EN_REVISION → APROBADO | RECHAZADO → (new documents) EN_REVISION.

Every decision is recorded (KycDecision, append-only) and published."""

from __future__ import annotations

from uuid import UUID

from django.utils import timezone

from conectar.platform.events import publish
from conectar.professionals.contracts import KYCApproved, KYCRejected, KycStateConflict, KycStatus, KYCSubmitted
from conectar.professionals.models import KycDecision, Professional
from conectar.professionals.services.profiles import changing
from conectar.shared.errors import InvalidInput, NotFound

SUBMITTABLE = {KycStatus.PENDIENTE, KycStatus.RECHAZADO, KycStatus.EN_REVISION}
MOTIVO_MIN_LENGTH = 5
DEFAULT_MOTIVO = "No pudimos verificar tu identidad con los documentos enviados. Revisalos y volvé a enviarlos."


def kyc_mark_submitted(*, usuario_id: UUID, documents: int) -> Professional:
    """Documents were stored for the professional: the file goes (back) to staff review."""
    with changing(usuario_id) as professional:
        if professional.estado_verificacion not in SUBMITTABLE:
            raise KycStateConflict(f"La verificación ya está {professional.estado_verificacion}.")
        professional.estado_verificacion = KycStatus.EN_REVISION
        professional.kyc_motivo_rechazo = ""
        professional.kyc_submitted_at = timezone.now()
        KycDecision.objects.create(professional=professional, estado=KycStatus.EN_REVISION)
        publish(KYCSubmitted(professional_id=professional.pk, usuario_id=usuario_id, documents=documents))
    return professional


def _decide(professional_id: UUID, *, estado: KycStatus, by: UUID | None, motivo: str = "") -> Professional:
    usuario_id = Professional.objects.filter(pk=professional_id).values_list("usuario_id", flat=True).first()
    if usuario_id is None:
        raise NotFound
    with changing(usuario_id) as professional:
        if professional.estado_verificacion != KycStatus.EN_REVISION:
            raise KycStateConflict(
                f"Solo se decide una verificación EN_REVISION; esta está {professional.estado_verificacion}."
            )
        professional.estado_verificacion = estado
        professional.kyc_motivo_rechazo = motivo
        KycDecision.objects.create(professional=professional, estado=estado, motivo=motivo, decided_by=by)
        if estado == KycStatus.APROBADO:
            publish(KYCApproved(professional_id=professional.pk, usuario_id=usuario_id, decided_by=by))
        else:
            publish(KYCRejected(professional_id=professional.pk, usuario_id=usuario_id, decided_by=by, motivo=motivo))
    return professional


def kyc_approve(*, professional_id: UUID, by: UUID | None) -> Professional:
    return _decide(professional_id, estado=KycStatus.APROBADO, by=by)


def kyc_reject(*, professional_id: UUID, by: UUID | None, motivo: str | None) -> Professional:
    """`motivo` None: the reviewer gave none (v1's reject has no body), the professional reads
    DEFAULT_MOTIVO; a reason that is given must say something."""
    motivo = DEFAULT_MOTIVO if motivo is None else motivo.strip()
    if len(motivo) < MOTIVO_MIN_LENGTH:
        raise InvalidInput(
            fields={"motivo": [f"Explicá el motivo del rechazo (al menos {MOTIVO_MIN_LENGTH} caracteres)."]}
        )
    return _decide(professional_id, estado=KycStatus.RECHAZADO, by=by, motivo=motivo)
