"""A lifted context that is down (ARCHITECTURE.md § Lifting a context): its callers get a clear
503 with Retry-After, nothing is left half-done, and once it is back the same work goes through.

Split topology only: the payments service's process is killed (SIGKILL) while a client accepts an
oferta, whose checkout is a synchronous payments facade call."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e import journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

CORDOBA = (-31.4201, -64.1888)


@pytest.mark.parametrize("e2e", ["split"], indirect=True)
def test_accepting_while_payments_is_down_is_a_clear_503_and_payment_works_once_it_is_back(e2e, api, staff):
    deal = journey.matched(api, staff, at=CORDOBA)
    offered = journey.make_oferta(
        deal.pro, deal.cliente, deal.chat_id, precio="15000.00", descripcion="Cambio de canilla"
    )
    payments_url = e2e.services["payments"]
    e2e.processes["payments"].kill()
    try:
        refused = deal.cliente.post(f"/cliente/ofertas/{offered['id']}/accept")
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        body = refused.json()
        assert body["code"] == "payment_provider_unavailable"
        assert "espera el pago" in body["detail"]

        # The acceptance committed before the call (a saga, not a distributed transaction): the
        # trabajo waits for its payment, with no payment half-made; a second accept is refused.
        (trabajo,) = journey.expect(deal.cliente.get("/cliente/trabajos"))
        assert (trabajo["estado_escrow"], trabajo["payment_id"]) == ("PENDIENTE_PAGO", None)
        assert journey.oferta(deal.cliente, offered["id"])["estado"] == "ACEPTADO"
        again = deal.cliente.post(f"/cliente/ofertas/{offered['id']}/accept")
        assert (again.status_code, again.json()["code"]) == (400, "oferta_not_open")
        # The payments routes the gateway proxies answer 503 too, not a hang or a 502 page.
        status = deal.cliente.get(f"/payment/status/{uuid.uuid4()}")
        assert status.status_code == 503
        assert "Retry-After" in status.headers
    finally:
        e2e.start_web_again("payments", payments_url)

    checkout = journey.expect(deal.cliente.post("/payment/create", json={"trabajo_id": trabajo["id"]}))
    assert journey.pay_in_sandbox(checkout["payment_url"]).status_code in {200, 302}
    paid = journey.wait_estado(deal.cliente, trabajo["id"], "PAGADO_EN_ESCROW")
    assert paid["payment_id"] is not None
