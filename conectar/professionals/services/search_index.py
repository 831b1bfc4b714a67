"""Keeping SearchEntry in step with the professionals it copies.

Only matchable professionals (APROBADO, account active, located) have rows: one per oficio plus
one ANY_OFICIO row. Every service that changes something the index copies calls `reindex` in its
own transaction, so the index is never more than one commit behind.
"""

from __future__ import annotations

import math

from django.contrib.gis.geos import Polygon

from conectar.professionals.gamification import RANK
from conectar.professionals.models import ANY_OFICIO, Professional, SearchEntry

_EARTH_M_PER_DEGREE = 111_320.0


def coverage_box(longitude: float, latitude: float, radius_m: float) -> Polygon:
    """The lon/lat bounding box of a circle: a superset of it, for the `&&` index condition (the
    exact distance is checked afterwards). Widened towards the poles as meridians converge."""
    dlat = radius_m / _EARTH_M_PER_DEGREE * 1.01
    dlon = dlat / max(math.cos(math.radians(min(abs(latitude) + dlat, 89.0))), 0.01)
    return Polygon.from_bbox((longitude - dlon, latitude - dlat, longitude + dlon, latitude + dlat))


def search_text(professional: Professional, oficio_names: list[str]) -> str:
    return " ".join([professional.nombre, professional.apellido, *oficio_names]).lower()


def reindex(professional: Professional) -> None:
    """Rewrite `professional`'s rows (or remove them when it is not matchable)."""
    SearchEntry.objects.filter(professional=professional).delete()
    if not professional.matchable:
        return
    oficios = list(professional.oficios.values_list("id", "nombre"))
    location = professional.location
    radius_m = professional.radio_cobertura_km * 1000
    common = {
        "professional": professional,
        "location": location,
        "coverage": coverage_box(location.x, location.y, radius_m),
        "radio_m": radius_m,
        "nivel_rank": RANK[professional.nivel],
        "rating": professional.rating_promedio,
        "total_resenas": professional.total_resenas,
        "tarifa": professional.tarifa_por_hora,
        "acepta_instant": professional.acepta_instant,
        "search_text": search_text(professional, [name for _, name in oficios]),
    }
    SearchEntry.objects.bulk_create(
        [SearchEntry(oficio_id=oficio_id, **common) for oficio_id in [ANY_OFICIO, *(o for o, _ in oficios)]]
    )
