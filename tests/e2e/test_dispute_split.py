"""A dispute (DOMAIN.md: EN_DISPUTA freezes release) resolved by staff with a split: 40 % back to
the client, the rest released to the professional with commission on the released part only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e import journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

MENDOZA = (-32.8895, -68.8458)


def test_a_dispute_split_refunds_part_and_pays_out_the_rest(e2e, api, staff):
    deal = journey.paid(api, staff, at=MENDOZA, precio="10000.00")

    disputed = journey.open_dispute(deal.cliente, deal.trabajo_id, "Quedó la mitad sin hacer")
    assert (disputed["estado_escrow"], disputed["disputa_motivo"]) == ("EN_DISPUTA", "Quedó la mitad sin hacer")
    frozen = deal.cliente.post(f"/cliente/trabajo/{deal.trabajo_id}/finalizar")
    assert frozen.status_code == 400
    assert set(frozen.json()) == {"detail", "code"}

    resolved = journey.resolve_dispute(staff, deal.trabajo_id, porcentaje=40, nota="Se hizo más de la mitad")
    trabajo = resolved["trabajo"]
    assert (trabajo["estado_escrow"], trabajo["porcentaje_reembolso"]) == ("RESUELTO", 40)
    # 4000 back; of the 6000 released, 20 % commission (BRONCE) and 4800 to the professional
    assert (trabajo["monto_reembolsado"], trabajo["comision_plataforma"], trabajo["monto_liberado"]) == (
        "4000.00",
        "1200.00",
        "4800.00",
    )

    summary = journey.wait_payment(
        deal.cliente,
        deal.payment_id,
        lambda p: (
            [r["status"] for r in p["refunds"]] == ["completed"] and (p["payout"] or {}).get("status") == "completed"
        ),
        "the refund and the payout completed at MercadoPago",
    )
    refund, payout = summary["refunds"][0], summary["payout"]
    assert (refund["refund_id"], refund["amount"]) == (resolved["refund_id"], "4000.00")
    assert (payout["amount"], summary["escrow_balance"]) == ("4800.00", "0.00")
    assert Decimal(refund["amount"]) + Decimal(trabajo["comision_plataforma"]) + Decimal(payout["amount"]) == Decimal(
        summary["amount"]
    )
    assert journey.refunds_at_mercadopago(api, summary["mercadopago_payment_id"]) == [Decimal("4000.00")]

    told_cliente = journey.wait_notified(deal.cliente, {"disputa_resuelta", "reembolso"})
    assert "$ 4.000,00" in told_cliente["disputa_resuelta"]["body"]
    journey.wait_notified(deal.pro, {"disputa_abierta", "disputa_resuelta", "pago_enviado"})
