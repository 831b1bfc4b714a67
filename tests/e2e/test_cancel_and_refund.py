"""A paid trabajo cancelled by the client before delivery (DOMAIN.md: PAGADO_EN_ESCROW →
CANCELADO_REEMBOLSADO): the whole price goes back through MercadoPago and the escrow is empty."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e import journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

ROSARIO = (-32.9468, -60.6393)


def test_a_paid_trabajo_cancelled_by_the_client_is_refunded_in_full(e2e, api, staff):
    deal = journey.paid(api, staff, at=ROSARIO, precio="18000.00")

    cancelled = journey.cancel(deal.cliente, deal.trabajo_id, "Se arregló solo, ya no hace falta")
    assert cancelled["refund_id"] is not None
    assert (cancelled["trabajo"]["estado_escrow"], cancelled["trabajo"]["monto_reembolsado"]) == (
        "CANCELADO_REEMBOLSADO",
        "18000.00",
    )

    summary = journey.wait_payment(
        deal.cliente,
        deal.payment_id,
        lambda p: [r["status"] for r in p["refunds"]] == ["completed"],
        "the refund completed at MercadoPago",
    )
    assert [(r["refund_id"], r["amount"]) for r in summary["refunds"]] == [(cancelled["refund_id"], "18000.00")]
    assert (summary["escrow_balance"], summary["payout"]) == ("0.00", None)
    assert journey.refunds_at_mercadopago(api, summary["mercadopago_payment_id"]) == [Decimal("18000.00")]
    # The professional sees the same trabajo, closed; nothing was released to him.
    seen_by_pro = journey.trabajo(deal.pro, deal.trabajo_id)
    assert (seen_by_pro["estado_escrow"], seen_by_pro["monto_liberado"]) == ("CANCELADO_REEMBOLSADO", "0.00")

    journey.wait_notified(deal.cliente, {"reembolso"})
    journey.wait_notified(deal.pro, {"trabajo_cancelado"})
