"""Reads of reseñas: what a person may see of a trabajo's reviews."""

from __future__ import annotations

from uuid import UUID

from conectar.marketplace.models import Resena, Trabajo


def visible_resenas(trabajo: Trabajo, viewer_id: UUID) -> list[Resena]:
    """Published reviews, plus the viewer's own hidden one (their own words are no secret to them)."""
    return [
        r
        for r in Resena.objects.filter(trabajo=trabajo).order_by("created_at")
        if r.publicada_at is not None or r.autor_id == viewer_id
    ]
