"""The checkout of an unpaid trabajo (`POST /payment/create`, API.md § payments): the step of the
acceptance saga that can be taken again when MercadoPago did not answer at accept time."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Schema

from conectar.marketplace.services import checkouts
from conectar.platform.auth import RoleBearer

router = Router(tags=["payments"])


class TrabajoIn(Schema):
    trabajo_id: UUID


@router.post(
    "/payment/create",
    response=dict,
    auth=RoleBearer("CLIENTE"),
    summary="A MercadoPago checkout for an unpaid trabajo of mine (the first one, or a new one)",
)
def payment_create(request, payload: TrabajoIn):
    result = checkouts.checkout_reopen(trabajo_id=payload.trabajo_id, cliente_id=request.auth.user_id)
    return {
        "payment_id": str(result.payment_id),
        "trabajo_id": str(result.trabajo_id),
        "preference_id": result.preference_id,
        "payment_url": result.payment_url,
    }
