"""Staff metrics of the payments context (API.md: GET /admin/metrics/financials), from the ledger."""

from __future__ import annotations

from ninja import Router

from conectar.payments.selectors import ledger as ledger_selectors
from conectar.platform.auth import RoleBearer
from conectar.platform.permissions import ADMIN_ROLE
from conectar.shared.money import format_money

router = Router(tags=["admin"], auth=RoleBearer(ADMIN_ROLE))


@router.get(
    "/admin/metrics/financials",
    response=dict,
    summary="{total_facturado, comision_total, trabajos_completados} from the ledger's releases",
)
def financials(request):
    totals = ledger_selectors.financials()
    return {
        "total_facturado": format_money(totals.total_facturado),
        "comision_total": format_money(totals.comision_total),
        "trabajos_completados": totals.trabajos_completados,
    }
