"""Reads of professionals' profiles."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Q

from conectar.professionals.contracts import KycCounts, KycStatus, Nivel, ProfessionalSummary
from conectar.professionals.gamification import REASON_TRABAJO_FINALIZADO
from conectar.professionals.models import Professional


def professional_by_account(usuario_id: UUID) -> Professional | None:
    return Professional.objects.filter(usuario_id=usuario_id).first()


def professionals_by_accounts(usuario_ids) -> list[Professional]:
    return list(Professional.objects.filter(usuario_id__in=list(usuario_ids)))


def to_summary(professional: Professional) -> ProfessionalSummary:
    return ProfessionalSummary(
        id=professional.pk,
        usuario_id=professional.usuario_id,
        nombre=professional.nombre,
        apellido=professional.apellido,
        avatar_url=professional.avatar_url or None,
        nivel=Nivel(professional.nivel),
        rating_promedio=professional.rating_promedio,
        total_resenas=professional.total_resenas,
        estado_verificacion=KycStatus(professional.estado_verificacion),
    )


def kyc_counts() -> KycCounts:
    counts = Professional.objects.aggregate(
        pendientes=Count("pk", filter=Q(estado_verificacion=KycStatus.EN_REVISION)),
        aprobados=Count("pk", filter=Q(estado_verificacion=KycStatus.APROBADO)),
    )
    return KycCounts(**counts)


def public_professional(professional_id: UUID) -> Professional | None:
    """Only matchable professionals have a public face (DOMAIN.md)."""
    professional = Professional.objects.prefetch_related("oficios", "servicios").filter(pk=professional_id).first()
    return professional if professional is not None and professional.matchable else None


def completed_trabajos(professional: Professional) -> int:
    """Trabajos the professional finished (the frontend's `trabajos_completados`): each completed
    trabajo scored its points once, so the points ledger counts them."""
    return professional.points.filter(reason=REASON_TRABAJO_FINALIZADO).count()


def published_reviews(professional: Professional, *, limit: int) -> list[dict]:
    return [
        {
            "id": str(r.resena_id),
            "rating": r.rating,
            "texto": r.texto,
            "autor_nombre": r.autor_nombre,
            "respuesta": r.respuesta or None,
            "fecha": r.created_at.isoformat(),
        }
        for r in professional.reviews.all()[:limit]
    ]
