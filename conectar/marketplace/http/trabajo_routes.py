"""Trabajo routes (API.md § marketplace): read, the participants' actions, reviews and replies.
Every action goes through `services.trabajos.apply()` and its transition table."""

from __future__ import annotations

from uuid import UUID

from ninja import Query, Router, Schema, Status
from pydantic import Field

from conectar.marketplace.contracts import Actor
from conectar.marketplace.http.deal_bodies import Names, resena_body, resena_created_body, trabajo_body
from conectar.marketplace.http.directory import directory
from conectar.marketplace.selectors import trabajos as trabajo_selectors
from conectar.marketplace.services import resenas as resena_services
from conectar.marketplace.services import trabajos as trabajo_services
from conectar.marketplace.workflow import Action
from conectar.payments.contracts import payout_id_for, refund_id_for
from conectar.platform.auth import AccessTokenBearer, RoleBearer
from conectar.platform.permissions import ADMIN_ROLE

CLIENTE, PROFESIONAL = "CLIENTE", "PROFESIONAL"
clients = RoleBearer(CLIENTE)
professionals_only = RoleBearer(PROFESIONAL)
participants = RoleBearer(CLIENTE, PROFESIONAL)
# v1's /cliente/* routes are for any account acting as the trabajo's client (V1-CONTRACT § 6.9)
as_the_client = AccessTokenBearer()
CLIENT_PATHS = "/api/v1/cliente/"

router = Router(tags=["trabajos"])


class PageQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    page: int = Field(default=1, ge=1, le=10_000)


class MotivoIn(Schema):
    motivo: str = Field(default="", max_length=2000)


class DisputaIn(Schema):
    motivo: str = Field(max_length=2000)


class ResenaIn(Schema):
    rating: int
    texto_resena: str | None = Field(default=None, max_length=5000)  # the service says "≤ 2000" clearly
    comentario: str | None = Field(default=None, max_length=5000, description="the v1 frontend's name for texto_resena")


class RespuestaIn(Schema):
    texto: str = Field(max_length=5000)


def _actor(request) -> Actor:
    """On v1's /cliente/* paths the caller acts as the client whatever their role (the transition
    table checks they are the trabajo's client); elsewhere their role says."""
    if request.path.startswith(CLIENT_PATHS) or request.auth.role == CLIENTE:
        return Actor.CLIENTE
    return Actor.PROFESIONAL


def _list(request, role: str, query: PageQuery) -> list[dict]:
    me = request.auth.user_id
    start = (query.page - 1) * query.limit
    rows = list(trabajo_selectors.trabajos_of(me, as_role=role)[start : start + query.limit])
    names = Names.of(rows)
    return [trabajo_body(t, viewer_id=me, names=names) for t in rows]


@router.get("/trabajo/{trabajo_id}", response=dict, auth=AccessTokenBearer(), operation_id="trabajo_get")
@router.get(
    "/cliente/trabajo/{trabajo_id}", response=dict, auth=AccessTokenBearer(), operation_id="cliente_trabajo_get"
)
def trabajo_get(request, trabajo_id: UUID):
    me = request.auth
    trabajo = trabajo_selectors.trabajo_for(trabajo_id, me.user_id, is_staff=me.role == ADMIN_ROLE)
    return trabajo_body(trabajo, viewer_id=me.user_id, names=Names.of([trabajo]))


@router.get("/cliente/trabajos", response=list[dict], auth=as_the_client)
def cliente_trabajos(request, query: Query[PageQuery]):
    return _list(request, CLIENTE, query)


@router.get("/professional/trabajos", response=list[dict], auth=professionals_only)
def professional_trabajos(request, query: Query[PageQuery]):
    return _list(request, PROFESIONAL, query)


@router.post("/trabajo/{trabajo_id}/entregar", response=dict, auth=participants)
def trabajo_entregar(request, trabajo_id: UUID):
    me = request.auth
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id, action=Action.ENTREGAR, actor=_actor(request), actor_id=me.user_id
    )
    return {"trabajo": trabajo_body(trabajo, viewer_id=me.user_id), "mensaje": "Trabajo marcado como entregado."}


@router.post("/trabajo/{trabajo_id}/finalizar", response=dict, auth=participants, operation_id="trabajo_finalizar")
@router.post(
    "/cliente/trabajo/{trabajo_id}/finalizar",
    response=dict,
    auth=as_the_client,
    operation_id="cliente_trabajo_finalizar",
)
def trabajo_finalizar(request, trabajo_id: UUID):
    me = request.auth
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id, action=Action.FINALIZAR, actor=_actor(request), actor_id=me.user_id
    )
    return {
        "trabajo": trabajo_body(trabajo, viewer_id=me.user_id),
        "payout_id": str(payout_id_for(trabajo.pk)),
        "mensaje": "Trabajo finalizado. El pago al profesional está en camino.",
    }


@router.post("/trabajo/{trabajo_id}/cancelar", response=dict, auth=participants, operation_id="trabajo_cancelar")
@router.post(
    "/cliente/trabajo/{trabajo_id}/cancelar", response=dict, auth=as_the_client, operation_id="cliente_trabajo_cancelar"
)
def trabajo_cancelar(request, trabajo_id: UUID, payload: MotivoIn | None = None):
    me = request.auth
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id,
        action=Action.CANCELAR,
        actor=_actor(request),
        actor_id=me.user_id,
        motivo=payload.motivo if payload else "",
    )
    refunded = trabajo.monto_reembolsado is not None
    return {
        "trabajo": trabajo_body(trabajo, viewer_id=me.user_id),
        "refund_id": str(refund_id_for(trabajo.pk)) if refunded else None,
        "mensaje": "Trabajo cancelado. Se reintegra el pago al cliente." if refunded else "Trabajo cancelado.",
    }


@router.post("/trabajo/{trabajo_id}/disputa", response=dict, auth=participants)
def trabajo_disputa(request, trabajo_id: UUID, payload: DisputaIn):
    me = request.auth
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id,
        action=Action.ABRIR_DISPUTA,
        actor=_actor(request),
        actor_id=me.user_id,
        motivo=payload.motivo,
    )
    return {"trabajo": trabajo_body(trabajo, viewer_id=me.user_id), "mensaje": "Disputa abierta; soporte la revisará."}


@router.post("/trabajo/{trabajo_id}/resena", response={201: dict}, auth=participants, operation_id="trabajo_resena")
@router.post(
    "/cliente/trabajo/{trabajo_id}/resena",
    response={201: dict},
    auth=as_the_client,
    operation_id="cliente_trabajo_resena",
)
def trabajo_resena(request, trabajo_id: UUID, payload: ResenaIn):
    resena = resena_services.resena_create(
        trabajo_id=trabajo_id,
        autor_id=request.auth.user_id,
        rating=payload.rating,
        texto=payload.texto_resena if payload.texto_resena is not None else payload.comentario,
    )
    summary = directory().professional_summaries([resena.profesional_id]).get(resena.profesional_id)
    return Status(
        201,
        {
            "resena": resena_created_body(resena, summary=summary),
            "profesional_rating_promedio": float(summary.rating_promedio) if summary else 0.0,
            "profesional_total_resenas": summary.total_resenas if summary else 0,
            "mensaje": "¡Gracias! Tu reseña se publica cuando la otra parte deje la suya o cierre el plazo."
            if resena.publicada_at is None
            else "¡Gracias! Las reseñas de los dos ya están publicadas; el promedio se actualiza en unos segundos.",
        },
    )


@router.post("/resenas/{resena_id}/respuesta", response=dict, auth=professionals_only)
def resena_respuesta(request, resena_id: UUID, payload: RespuestaIn):
    resena = resena_services.resena_reply(resena_id=resena_id, profesional_id=request.auth.user_id, texto=payload.texto)
    return resena_body(resena)
