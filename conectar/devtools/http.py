"""The staff's `POST /api/v1/admin/trabajo/{id}/simular-pago` (API.md): pay the trabajo's checkout in
the local sandbox. Served only where devtools is installed (development, tests); elsewhere, and
wherever MercadoPago is not the sandbox, it is a 404."""

from __future__ import annotations

import copy
import json
from uuid import UUID

from django.http import HttpResponse
from django.urls import resolve
from ninja import Router

from conectar.devtools.simulated_payment import simulate_payment
from conectar.platform.auth import RoleBearer
from conectar.platform.permissions import ADMIN_ROLE

router = Router(tags=["development: sandbox"], auth=RoleBearer(ADMIN_ROLE))

# The marketplace's own route for one trabajo: v1 answered simular-pago with that body (TrabajoRead).
TRABAJO_PATH = "/api/v1/trabajo/{trabajo_id}"


@router.post("/admin/trabajo/{trabajo_id}/simular-pago", response=dict)
def simular_pago(request, trabajo_id: UUID):
    """The sandbox approves the checkout and then sends the signed webhook like MercadoPago; the
    answer is the trabajo as it stood (its payment confirmation arrives with the webhook)."""
    shown = _trabajo_as_seen_by(request, trabajo_id)
    if shown.status_code != 200:  # noqa: PLR2004 - e.g. 404: no such trabajo
        return shown
    simulate_payment(trabajo_id=trabajo_id)
    return {
        **json.loads(shown.content),
        "trabajo_id": str(trabajo_id),
        "mensaje": "Pago simulado en el sandbox; el webhook está en camino.",
    }


def _trabajo_as_seen_by(request, trabajo_id: UUID) -> HttpResponse:
    """GET of the trabajo by the same staff member, through whatever serves that path (the
    marketplace's route, or the gateway's proxy once marketplace is lifted): its body is the
    marketplace's to shape, and devtools reads no marketplace internals."""
    match = resolve(TRABAJO_PATH.format(trabajo_id=trabajo_id))
    as_get = copy.copy(request)
    as_get.method = "GET"
    return match.func(as_get, *match.args, **match.kwargs)
