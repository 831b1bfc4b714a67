"""Staff routes for trabajos (API.md: /admin/trabajos, cancel with refund, resolve a dispute).
`simular-pago` is development tooling: conectar/devtools serves it."""

from __future__ import annotations

from uuid import UUID

from ninja import Query, Router, Schema
from pydantic import Field

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.http.deal_bodies import Names, trabajo_body
from conectar.marketplace.selectors import trabajos as trabajo_selectors
from conectar.marketplace.services import trabajos as trabajo_services
from conectar.marketplace.workflow import Action
from conectar.payments.contracts import refund_id_for
from conectar.platform.auth import RoleBearer
from conectar.platform.permissions import ADMIN_ROLE

router = Router(tags=["staff: trabajos"], auth=RoleBearer(ADMIN_ROLE))


class StaffListQuery(Schema):
    estado: EstadoEscrow | None = None
    limit: int = Field(default=20, ge=1, le=50)
    page: int = Field(default=1, ge=1, le=10_000)


class CancelIn(Schema):
    motivo: str = Field(default="", max_length=2000)


class ResolveIn(Schema):
    porcentaje_reembolso: int = Field(ge=0, le=100)
    nota: str = Field(default="", max_length=2000)


@router.get("/admin/trabajos", response=list[dict])
def admin_trabajos(request, query: Query[StaffListQuery]):
    start = (query.page - 1) * query.limit
    rows = list(trabajo_selectors.trabajos_for_staff(estado=query.estado)[start : start + query.limit])
    names = Names.of(rows)
    return [trabajo_body(t, viewer_id=request.auth.user_id, names=names) for t in rows]


@router.post("/admin/trabajo/{trabajo_id}/cancelar", response=dict)
def admin_cancelar(request, trabajo_id: UUID, payload: CancelIn | None = None):
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id,
        action=Action.CANCELAR,
        actor=Actor.STAFF,
        actor_id=request.auth.user_id,
        motivo=payload.motivo if payload else "",
    )
    refunded = trabajo.monto_reembolsado is not None
    return {
        "trabajo": trabajo_body(trabajo, viewer_id=request.auth.user_id),
        "refund_id": str(refund_id_for(trabajo.pk)) if refunded else None,
        "mensaje": "Trabajo cancelado con reintegro total." if refunded else "Trabajo cancelado (no había pago).",
    }


@router.post("/admin/trabajo/{trabajo_id}/resolver", response=dict)
def admin_resolver(request, trabajo_id: UUID, payload: ResolveIn):
    trabajo = trabajo_services.apply(
        trabajo_id=trabajo_id,
        action=Action.RESOLVER,
        actor=Actor.STAFF,
        actor_id=request.auth.user_id,
        motivo=payload.nota,
        porcentaje_reembolso=payload.porcentaje_reembolso,
    )
    return {
        "trabajo": trabajo_body(trabajo, viewer_id=request.auth.user_id),
        "refund_id": str(refund_id_for(trabajo.pk)) if trabajo.monto_reembolsado else None,
        "mensaje": "Disputa resuelta.",
    }
