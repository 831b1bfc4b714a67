"""Oferta routes (API.md § marketplace): a professional offers, the client accepts or rejects, the
professional withdraws. Seed and v1 paths share one handler each, with distinct operation ids."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from ninja import Query, Router, Schema, Status
from pydantic import Field

from conectar.marketplace.http.deal_bodies import Names, oferta_body
from conectar.marketplace.selectors import ofertas as oferta_selectors
from conectar.marketplace.services import ofertas as oferta_services
from conectar.platform.auth import AccessTokenBearer, RoleBearer

CLIENTE, PROFESIONAL = "CLIENTE", "PROFESIONAL"
clients = RoleBearer(CLIENTE)
professionals = RoleBearer(PROFESIONAL)
participants = RoleBearer(CLIENTE, PROFESIONAL)
# v1's /cliente/* routes are for any account acting as the client of the oferta (V1-CONTRACT § 6.9):
# the services check that the caller is its `cliente_id`
as_the_client = AccessTokenBearer()

router = Router(tags=["ofertas"])


class OfertaIn(Schema):
    cliente_id: UUID
    chat_id: UUID
    descripcion: str = Field(max_length=5000)  # the service holds it to 10 to 2000 chars with clear messages
    precio_final: Decimal = Field(max_digits=20, decimal_places=2)
    expira_en_horas: int | None = None


class PageQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    page: int = Field(default=1, ge=1, le=10_000)


def _page(queryset, query: PageQuery) -> list[dict]:
    start = (query.page - 1) * query.limit
    rows = list(queryset[start : start + query.limit])
    names = Names.of(rows)
    return [oferta_body(o, names) for o in rows]


@router.post("/offers/create", response={201: dict}, auth=professionals, operation_id="offers_create")
@router.post(
    "/professional/ofertas", response={201: dict}, auth=professionals, operation_id="professional_ofertas_create"
)
def oferta_create(request, payload: OfertaIn):
    oferta = oferta_services.oferta_create(
        profesional_id=request.auth.user_id,
        cliente_id=payload.cliente_id,
        chat_id=payload.chat_id,
        descripcion=payload.descripcion,
        precio_final=payload.precio_final,
        expira_en_horas=payload.expira_en_horas,
    )
    return Status(201, oferta_body(oferta))


@router.get("/offers", response=list[dict], auth=participants, summary="My ofertas (made or received), newest first")
def offers_list(request, query: Query[PageQuery]):
    return _page(oferta_selectors.ofertas_of(request.auth.user_id), query)


@router.get("/professional/ofertas", response=list[dict], auth=professionals, operation_id="professional_ofertas_list")
def professional_ofertas(request, query: Query[PageQuery]):
    return _page(oferta_selectors.ofertas_of(request.auth.user_id, as_role=PROFESIONAL), query)


@router.get("/cliente/ofertas", response=list[dict], auth=as_the_client, operation_id="cliente_ofertas_list")
def cliente_ofertas(request, query: Query[PageQuery]):
    return _page(oferta_selectors.ofertas_of(request.auth.user_id, as_role=CLIENTE), query)


@router.get("/cliente/ofertas/{oferta_id}", response=dict, auth=as_the_client)
def cliente_oferta(request, oferta_id: UUID):
    oferta = oferta_selectors.oferta_for(oferta_id, request.auth.user_id)
    return oferta_body(oferta, Names.of([oferta]))


@router.post("/offers/{oferta_id}/accept", response=dict, auth=clients, operation_id="offers_accept")
@router.post(
    "/cliente/ofertas/{oferta_id}/accept", response=dict, auth=as_the_client, operation_id="cliente_ofertas_accept"
)
def oferta_accept(request, oferta_id: UUID):
    accepted = oferta_services.oferta_accept(oferta_id=oferta_id, cliente_id=request.auth.user_id)
    return {
        "oferta": oferta_body(accepted.oferta),
        "trabajo_id": str(accepted.trabajo.pk),
        "payment_preference_id": accepted.payment_preference_id,
        "payment_url": accepted.payment_url,
        "mensaje": "Oferta aceptada. Procede al pago para confirmar el trabajo.",  # v1's text
    }


@router.post("/offers/{oferta_id}/reject", response=dict, auth=clients, operation_id="offers_reject")
@router.post(
    "/cliente/ofertas/{oferta_id}/reject", response=dict, auth=as_the_client, operation_id="cliente_ofertas_reject"
)
def oferta_reject(request, oferta_id: UUID):
    return oferta_body(oferta_services.oferta_reject(oferta_id=oferta_id, cliente_id=request.auth.user_id))


@router.post("/offers/{oferta_id}/withdraw", response=dict, auth=professionals)
def oferta_withdraw(request, oferta_id: UUID):
    return oferta_body(oferta_services.oferta_withdraw(oferta_id=oferta_id, profesional_id=request.auth.user_id))
