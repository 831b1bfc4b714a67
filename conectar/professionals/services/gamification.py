"""Points, level, commission and rating, moved only by events (each applied once by the bus; the
PointsEntry unique key on (event, reason) makes a second application impossible even so)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from conectar.platform.events import publish
from conectar.professionals import gamification as rules
from conectar.professionals.contracts import LevelChanged, Nivel
from conectar.professionals.models import PointsEntry, Professional, PublishedReview
from conectar.professionals.services.profiles import changing

TWO_PLACES = Decimal("0.01")


def _apply_points(professional: Professional, *, delta: int, reason: str, source_event_id: UUID) -> None:
    if delta == 0:
        return
    PointsEntry.objects.create(professional=professional, delta=delta, reason=reason, source_event_id=source_event_id)
    professional.puntos_experiencia += delta
    previous = Nivel(professional.nivel)
    level = rules.level_for(professional.puntos_experiencia)
    professional.nivel = level.nivel
    professional.tasa_comision_actual = level.commission
    if level.nivel != previous:
        publish(
            LevelChanged(
                professional_id=professional.pk,
                usuario_id=professional.usuario_id,
                previous=previous,
                current=level.nivel,
                puntos_experiencia=professional.puntos_experiencia,
                tasa_comision=level.commission,
            )
        )


def points_award(*, usuario_id: UUID, delta: int, reason: str, source_event_id: UUID) -> None:
    if not Professional.objects.filter(usuario_id=usuario_id).exists():
        return  # not a professional of ours (or not yet created): nothing to score
    with changing(usuario_id) as professional:
        _apply_points(professional, delta=delta, reason=reason, source_event_id=source_event_id)


def review_record(
    *,
    usuario_id: UUID,
    resena_id: UUID,
    trabajo_id: UUID,
    rating: int,
    texto: str,
    autor_nombre: str,
    created_at,
    source_event_id: UUID,
) -> None:
    """A published review of the professional: public copy, exact average, and its points."""
    if not Professional.objects.filter(usuario_id=usuario_id).exists():
        return
    with changing(usuario_id) as professional:
        _, created = PublishedReview.objects.get_or_create(
            resena_id=resena_id,
            defaults={
                "professional": professional,
                "trabajo_id": trabajo_id,
                "rating": rating,
                "texto": texto,
                "autor_nombre": autor_nombre,
                "created_at": created_at,
            },
        )
        if not created:
            return
        professional.rating_sum += rating
        professional.total_resenas += 1
        professional.rating_promedio = (Decimal(professional.rating_sum) / professional.total_resenas).quantize(
            TWO_PLACES, rounding=ROUND_HALF_EVEN
        )
        _apply_points(
            professional, delta=rules.review_points(rating), reason=f"resena_{rating}", source_event_id=source_event_id
        )


def review_reply_record(*, resena_id: UUID, texto: str) -> None:
    PublishedReview.objects.filter(resena_id=resena_id).update(respuesta=texto)
