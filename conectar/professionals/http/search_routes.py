"""Public search (API.md: GET /search/professionals) and the public profile."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from conectar.platform.media import absolute_url
from conectar.professionals.contracts import Nivel
from conectar.professionals.http.bodies import money, number, rate
from conectar.professionals.models import Oficio, ServicioInstant
from conectar.professionals.selectors.search import BrowseQuery, SearchQuery, browse, result_rows, search
from conectar.shared.errors import InvalidInput, NotFound

router = Router(tags=["search"])
NEXT_CURSOR_HEADER = "X-Next-Cursor"


class SearchParams(Schema):
    """This project's parameters and the v1 frontend's (V1-CONTRACT § 4.2): an empty value is not
    given; the point is `lat`+`lng` or `ubicacion_lat`+`ubicacion_lon`, and 0,0 is no point."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    ubicacion_lat: float | None = Field(default=None, ge=-90, le=90, description="browse page: lat (0 = none)")
    ubicacion_lon: float | None = Field(default=None, ge=-180, le=180, description="browse page: lng (0 = none)")
    incluir_fuera_de_radio: bool | None = Field(default=None, description="also those whose radius misses the point")
    solo_disponibles_ahora: bool | None = Field(default=None, description="only professionals taking instant work")
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

    @field_validator(
        "lat", "lng", "ubicacion_lat", "ubicacion_lon", "incluir_fuera_de_radio", "solo_disponibles_ahora",
        "oficio_id", "oficio", "servicio_id", "radio_km", "nivel", "acepta_instant", "rating_min", "tarifa_max",
        "q", "cursor", mode="before",
    )  # fmt: skip
    @classmethod
    def _blank_is_not_given(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


def _point(params: SearchParams) -> tuple[float, float] | None:
    """The client's point, if any. Half a pair is 422 (v1 requires both); 0,0 is the browse page's
    "none picked"."""
    for lat_name, lng_name in (("lat", "lng"), ("ubicacion_lat", "ubicacion_lon")):
        lat, lng = getattr(params, lat_name), getattr(params, lng_name)
        if (lat is None) != (lng is None):
            missing = lng_name if lng is None else lat_name
            raise InvalidInput(fields={missing: ["Indicá la latitud y la longitud juntas."]})
        if lat is not None and (lat, lng) != (0, 0):
            return lat, lng
    return None


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


def result_body(request, row: dict, distance_m: float | None) -> dict:
    """v1's ProfessionalProfileRead without the e-mail (V1-CONTRACT § 0.5), this project's search
    keys, and what the frontend's result cards read (§ 4.3; `user_id` carries the professional id,
    the id its link to the public profile needs)."""
    avatar = absolute_url(request, row["avatar_url"])
    distancia_km = None if distance_m is None else round(distance_m / 1000, 2)
    return {
        "id": row["id"],
        "usuario_id": row["usuario_id"],
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
        "user_id": row["id"],
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
    """A bare array (the v1 frontend's shape); the next page's cursor is in `X-Next-Cursor`. Without
    a point: matchable professionals best rated first (then level), `distancia_km` null."""
    oficio_id = _oficio_id(params)
    point = _point(params)
    filters = {
        "oficio_id": oficio_id,
        "servicio_id": params.servicio_id,
        "nivel": params.nivel.value if params.nivel else None,
        "acepta_instant": True if params.solo_disponibles_ahora else params.acepta_instant,
        "rating_min": params.rating_min,
        "tarifa_max": params.tarifa_max,
        "q": params.q.strip() if params.q else None,
        "limit": params.limit,
        "cursor": params.cursor,
    }
    if point is None:
        page = browse(BrowseQuery(**filters, orden="relevancia" if params.orden == "distancia" else params.orden))
    else:
        query = SearchQuery(
            **filters,
            lat=point[0],
            lng=point[1],
            radio_km=params.radio_km,
            orden=params.orden,
            fuera_de_radio=bool(params.incluir_fuera_de_radio),
        )
        page = search(query, with_rows=True)  # the page and its professionals in one statement
    if not page.hits and params.oficio_id is not None and not Oficio.objects.filter(pk=params.oficio_id).exists():
        raise NotFound("Oficio inexistente.", code="oficio_not_found")
    if page.next_cursor:
        response[NEXT_CURSOR_HEADER] = page.next_cursor
    if point is None:
        rows = result_rows([hit.professional_id for hit in page.hits])
        return [result_body(request, rows[str(hit.professional_id)], None) for hit in page.hits]
    return [result_body(request, hit.row, hit.distance_m) for hit in page.hits]
