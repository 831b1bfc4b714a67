"""The oficio and instant-service catalogue: public list, staff management."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from ninja import Router, Schema, Status
from pydantic import Field

from conectar.platform.auth import AccessTokenBearer, RoleBearer
from conectar.platform.permissions import ADMIN_ROLE
from conectar.professionals.http.bodies import oficio_body, servicio_body
from conectar.professionals.models import Oficio
from conectar.professionals.services import catalogue
from conectar.shared.errors import NotFound

STAFF = RoleBearer(ADMIN_ROLE)  # 403 for other roles before the body is read
ANYONE_LOGGED_IN = AccessTokenBearer()  # v1 (V1-CONTRACT § 6.9): the catalogue reads are for every role
router = Router(tags=["catalogue"])


class OficioIn(Schema):
    nombre: str = Field(min_length=3, max_length=100)
    descripcion: str = Field(default="", max_length=2000)


class ServicioIn(Schema):
    nombre: str = Field(min_length=3, max_length=120)
    descripcion: str = Field(default="", max_length=2000)
    oficio_id: UUID
    precio_fijo: Decimal | None = Field(default=None, ge=0, le=Decimal("99999999.99"), decimal_places=2)


@router.get("/public/oficios", auth=None, summary="The oficio catalogue")
def oficios_public(request):
    return [oficio_body(o) for o in Oficio.objects.all()]


@router.get("/admin/oficios", auth=ANYONE_LOGGED_IN, summary="The oficio catalogue (any logged-in user, as v1)")
def oficios_admin(request):
    return [oficio_body(o) for o in Oficio.objects.all()]


@router.post("/admin/oficios", response={201: dict}, auth=STAFF, summary="Add an oficio (staff)")
def oficio_add(request, payload: OficioIn):
    return Status(201, oficio_body(catalogue.oficio_create(nombre=payload.nombre, descripcion=payload.descripcion)))


@router.post(
    "/admin/servicios-instant",
    response={201: dict},
    auth=STAFF,
    summary="Add an instant service under an oficio (staff)",
)
def servicio_add(request, payload: ServicioIn):
    servicio = catalogue.servicio_create(
        oficio_id=payload.oficio_id,
        nombre=payload.nombre,
        descripcion=payload.descripcion,
        precio_fijo=payload.precio_fijo,
    )
    return Status(201, servicio_body(servicio))


@router.get(
    "/admin/oficios/{oficio_id}/servicios-instant", auth=ANYONE_LOGGED_IN, summary="Instant services of an oficio"
)
def servicios_of(request, oficio_id: UUID):
    oficio = Oficio.objects.filter(pk=oficio_id).first()
    if oficio is None:
        raise NotFound("Oficio inexistente.", code="oficio_not_found")
    return [servicio_body(s) for s in oficio.servicios.all()]
