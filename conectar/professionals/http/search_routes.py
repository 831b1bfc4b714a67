"""Public search (API.md: GET /search/professionals) and the public profile."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from conectar.platform.media import absolute_url
from conectar.professionals.contracts import Nivel
from conectar.professionals.http.bodies import money, number, rate
from conectar.professionals.models import Oficio, ServicioInstant
from conectar.professionals.selectors.search import SearchQuery, result_rows, search
from conectar.shared.errors import NotFound

router = Router(tags=["search"])
NEXT_CURSOR_HEADER = "X-Next-Cursor"


class SearchParams(Schema):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    oficio_id: UUID | None = None
    oficio: str | None = Field(default=None, max_length=100, description="oficio by name, if no oficio_id")
    servicio_id: UUID | None = None
    radio_km: float | None = Field(default=None, gt=0, le=500)
    nivel: Nivel | None = None
    acepta_instant: bool | None = None
    rating_min: Decimal | None = Field(default=None, ge=0, le=5)
    tarifa_max: Decimal | None = Field(default=None, ge=0, le=Decimal("99999999.99"))
    q: str | None = Field(default=None, max_length=100)
    orden: Literal["distancia", "rating", "nivel", "tarifa"] = "distancia"
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=500)


def _oficio_id(params: SearchParams) -> UUID | None:
    """The oficio to search in (checking a named servicio exists, once)."""
    servicio_oficio = None
    if params.servicio_id is not None:
        servicio_oficio = (
            ServicioInstant.objects.filter(pk=params.servicio_id).values_list("oficio_id", flat=True).first()
        )
        if servicio_oficio is None:
            raise NotFound("Servicio inexistente.", code="servicio_not_found")
    if params.oficio_id is not None:
        return params.oficio_id  # checked only if nothing is found (an unknown oficio has no rows)
    if params.oficio:
        found = Oficio.objects.filter(nombre__iexact=params.oficio.strip()).values_list("pk", flat=True).first()
        if found is None:
            raise NotFound("Oficio inexistente.", code="oficio_not_found")
        return found
    return servicio_oficio  # a service implies its oficio: the index condition gets sharper


def result_body(request, row: dict, distance_m: float) -> dict:
    """v1's ProfessionalProfileRead without the e-mail (V1-CONTRACT § 0.5), this project's search
    keys, and what the frontend's result cards read (§ 4.3; `user_id` carries the professional id,
    the id its link to the public profile needs)."""
    avatar = absolute_url(request, row["avatar_url"])
    distancia_km = round(distance_m / 1000, 2)
    return {
        "id": str(row["id"]),
        "usuario_id": str(row["usuario_id"]),
        "estado_verificacion": row["estado_verificacion"],
        "nivel": row["nivel"],
        "radio_cobertura_km": row["radio_cobertura_km"],
        "acepta_instant": row["acepta_instant"],
        "tarifa_por_hora": money(row["tarifa_por_hora"]),
        "tasa_comision_actual": rate(row["tasa_comision_actual"]),
        "nombre": row["nombre"],
        "apellido": row["apellido"],
        "avatar_url": avatar,
        "oficios": row["oficios"],
        "rating_promedio": number(row["rating_promedio"]),
        "total_resenas": row["total_resenas"],
        "distancia_km": distancia_km,
        # the frontend's cards (ProfessionalCard, explorar)
        "user_id": str(row["id"]),
        "nombre_completo": f"{row['nombre']} {row['apellido']}".strip(),
        "kyc_estado": row["estado_verificacion"],
        "oficio": row["oficios"][0]["nombre"] if row["oficios"] else None,
        "calificacion_promedio": number(row["rating_promedio"]),
        "cantidad_resenas": row["total_resenas"],
        "nivel_profesional": row["nivel"],
        "puntos_experiencia": row["puntos_experiencia"],
    }


@router.get("/search/professionals", auth=None, summary="Professionals whose coverage includes the point")
def search_professionals(request, response: HttpResponse, params: Query[SearchParams]):
    """A bare array (the v1 frontend's shape); the next page's cursor is in `X-Next-Cursor`."""
    oficio_id = _oficio_id(params)
    page = search(
        SearchQuery(
            lat=params.lat,
            lng=params.lng,
            oficio_id=oficio_id,
            servicio_id=params.servicio_id,
            radio_km=params.radio_km,
            nivel=params.nivel.value if params.nivel else None,
            acepta_instant=params.acepta_instant,
            rating_min=params.rating_min,
            tarifa_max=params.tarifa_max,
            q=params.q.strip() if params.q else None,
            orden=params.orden,
            limit=params.limit,
            cursor=params.cursor,
        )
    )
    if not page.hits and params.oficio_id is not None and not Oficio.objects.filter(pk=params.oficio_id).exists():
        raise NotFound("Oficio inexistente.", code="oficio_not_found")
    if page.next_cursor:
        response[NEXT_CURSOR_HEADER] = page.next_cursor
    rows = result_rows([hit.professional_id for hit in page.hits])
    return [result_body(request, rows[hit.professional_id], hit.distance_m) for hit in page.hits]
