"""Time, applied by beat: an oferta past its validity expires, and a trabajo accepted but never paid
is cancelled. Ofertas and trabajos get their deadlines from the web server that creates them; the
short-fuse server of this system gives them seconds (0.001 h) instead of days."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.e2e import journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

LA_PLATA = (-34.9214, -57.9545)
SHORT = timedelta(seconds=10)


def lifetime(start: str, end: str) -> timedelta:
    return datetime.fromisoformat(end) - datetime.fromisoformat(start)


def test_an_expired_oferta_cannot_be_accepted(e2e, api, staff):
    deal = journey.matched(api, staff, at=LA_PLATA)
    oferta = journey.make_oferta(
        deal.pro, deal.cliente, deal.chat_id, precio="9000.00", descripcion="Destapar la cloaca", short_fuse=True
    )
    assert lifetime(oferta["fecha_creacion"], oferta["expira_en"]) < SHORT

    expired = api.settle(
        lambda: (o := journey.oferta(deal.cliente, oferta["id"]))["estado"] == "EXPIRADO" and o,
        "beat expiring the oferta",
    )
    assert expired["trabajo_id"] is None
    refused = deal.cliente.post(f"/cliente/ofertas/{oferta['id']}/accept")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "La oferta ya no está abierta: su estado es EXPIRADO.",
        "code": "oferta_not_open",
    }
    assert journey.expect(deal.cliente.get("/cliente/trabajos")) == []

    journey.wait_notified(deal.pro, {"oferta_expirada_profesional"})
    journey.wait_notified(deal.cliente, {"oferta_expirada_cliente"})


def test_an_accepted_trabajo_left_unpaid_is_cancelled(e2e, api, staff):
    deal = journey.matched(api, staff, at=LA_PLATA)
    oferta = journey.make_oferta(
        deal.pro, deal.cliente, deal.chat_id, precio="12000.00", descripcion="Cambio del flotante del tanque"
    )
    accepted = journey.accept_oferta(deal.cliente, oferta["id"], short_fuse=True)
    unpaid = journey.trabajo(deal.cliente, accepted["trabajo_id"])
    assert unpaid["estado_escrow"] == "PENDIENTE_PAGO"
    assert lifetime(unpaid["fecha_creacion"], unpaid["pago_vence_en"]) < SHORT

    cancelled = journey.wait_estado(deal.cliente, accepted["trabajo_id"], "CANCELADO")
    assert (cancelled["monto_reembolsado"], cancelled["pago_vence_en"]) == (None, None)
    # The checkout lapsed with it: MercadoPago's page no longer takes the payment.
    # (its own deadline, set when the checkout was made, a moment after the trabajo's: wait for it)
    api.settle(
        lambda: "Esta preferencia de pago venció." in journey.checkout_page(accepted["payment_url"]),
        "the checkout lapsed at MercadoPago",
    )
    summary = journey.wait_payment(
        deal.cliente, unpaid["payment_id"], lambda p: p["status"] == "cancelled", "the payment cancelled"
    )
    assert summary["escrow_balance"] == "0.00"

    journey.wait_notified(deal.cliente, {"trabajo_cancelado"})
    journey.wait_notified(deal.pro, {"trabajo_cancelado"})
