"""Staff metrics of the payments context (API.md: GET /admin/metrics/financials), from the ledger."""

from __future__ import annotations

from ninja import Router

from conectar.payments.selectors import ledger as ledger_selectors
from conectar.platform.auth import RoleBearer
from conectar.platform.permissions import ADMIN_ROLE

router = Router(tags=["admin"], auth=RoleBearer(ADMIN_ROLE))


@router.get(
    "/admin/metrics/financials",
    response=dict,
    summary="{total_facturado, comision_total, trabajos_completados} from the ledger's releases",
)
def financials(request):
    totals = ledger_selectors.financials()
    # JSON numbers, as v1 (V1-CONTRACT § 1.5, R49): the frontend divides and adds them
    return {
        "total_facturado": float(totals.total_facturado),
        "comision_total": float(totals.comision_total),
        "trabajos_completados": totals.trabajos_completados,
    }
