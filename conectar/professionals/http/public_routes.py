"""A professional's public profile: what a client sees before writing to them. No e-mail, no ids
of clients, and nothing at all for a professional who is not matchable."""

from __future__ import annotations

from uuid import UUID

from ninja import Router

from conectar.platform.media import absolute_url
from conectar.professionals.http.bodies import (
    money,
    number,
    oficios_body,
    portfolio_item_v1,
    review_v1,
    servicio_body,
)
from conectar.professionals.selectors.portfolio import portfolio_for
from conectar.professionals.selectors.profiles import completed_trabajos, public_professional, published_reviews
from conectar.shared.errors import NotFound

router = Router(tags=["public"])
REVIEWS_SHOWN = 20


@router.get("/public/professional/{professional_id}", auth=None, summary="Public profile")
def public_profile(request, professional_id: UUID):
    professional = public_professional(professional_id)
    if professional is None:
        raise NotFound
    body = {
        "id": str(professional.pk),
        "nombre": professional.nombre,
        "apellido": professional.apellido,
        "avatar_url": absolute_url(request, professional.avatar_url),
        "nivel": professional.nivel,
        "radio_cobertura_km": professional.radio_cobertura_km,
        "acepta_instant": professional.acepta_instant,
        "tarifa_por_hora": money(professional.tarifa_por_hora),
        "rating_promedio": number(professional.rating_promedio),
        "total_resenas": professional.total_resenas,
        "oficios": oficios_body(professional),
        "portfolio": [
            portfolio_item_v1(request, i, professional_id=professional.pk) for i in portfolio_for(professional)
        ],
        "resenas": [review_v1(r) for r in published_reviews(professional, limit=REVIEWS_SHOWN)],
        # what the frontend's public profile page reads (V1-CONTRACT § 4.3)
        "nombre_completo": f"{professional.nombre} {professional.apellido}".strip(),
        "kyc_estado": professional.estado_verificacion,
        "created_at": professional.created_at.isoformat(),
        "trabajos_completados": completed_trabajos(professional),
        "servicios_instantaneos": [servicio_body(s) for s in professional.servicios.all()],
    }
    # and what its other profile page (profile/[professional_id]) reads
    return {
        **body,
        "user": {"nombre": body["nombre"], "apellido": body["apellido"], "avatar_url": body["avatar_url"]},
        "nivel_experiencia": body["nivel"],
        "biografia": None,  # this project keeps no biography
        "portfolio_items": body["portfolio"],
    }
