"""The money path across contexts, with every real part: accept → checkout (real SDK) → pay in the
local MercadoPago sandbox → its signed webhook to the live server → the worker re-reads the payment
→ PaymentConfirmed → the trabajo in escrow → the people's actions → release with a payout, refund,
or dispute split, each checked in the ledger and at the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conectar.marketplace.models import Trabajo
from conectar.payments.contracts import payout_id_for, refund_id_for
from tests.marketplace.deals import new_deal, offer
from tests.marketplace.helpers import JSON, send
from tests.payments.helpers import assert_ledger_sound, payments_worker  # noqa: F401 - fixture
from tests.support.accounts import admin_session
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(databases="__all__", transaction=True),
    pytest.mark.usefixtures("payments_worker"),
]


def state_of(trabajo_id: str) -> str:
    return Trabajo.objects.get(pk=trabajo_id).estado


def money_of(client, trabajo_id: str, who) -> dict:
    """The trabajo's payment as payments answers it over HTTP (escrow balance, refunds, payout):
    payments is another context, so this test reads it as the frontend does."""
    payment_id = Trabajo.objects.get(pk=trabajo_id).payment_id
    response = client.get(f"/api/v1/payment/status/{payment_id}", headers=who.headers)
    assert response.status_code == 200, response.content
    return response.json()


def escrow_of(client, trabajo_id: str, who) -> Decimal:
    return Decimal(money_of(client, trabajo_id, who)["escrow_balance"])


def completed_refund(client, trabajo_id: str, who) -> dict | None:
    return next((r for r in money_of(client, trabajo_id, who)["refunds"] if r["status"] == "completed"), None)


def paid_trabajo(client, mp_sandbox, deal, precio="20000.00") -> str:
    """Offer, accept and pay as the people would; returns the trabajo id once it is in escrow."""
    oferta_id = offer(client, deal, precio=precio).json()["id"]
    accepted = client.post(f"/api/v1/offers/{oferta_id}/accept", headers=deal.cliente.headers).json()
    mp_sandbox.pay(accepted["payment_preference_id"], status="approved")
    wait_until(lambda: state_of(accepted["trabajo_id"]) == "PAGADO_EN_ESCROW", message="the payment confirmed")
    assert escrow_of(client, accepted["trabajo_id"], deal.cliente) == Decimal(precio)
    return accepted["trabajo_id"]


def test_pay_deliver_finalize_releases_to_the_professional(client, mp_sandbox):
    deal = new_deal(client)
    trabajo_id = paid_trabajo(client, mp_sandbox, deal)
    # paid: contact details pass now
    assert send(client, deal.cliente, deal.chat_id, "mi cel 11 4567 8901").json()["masked"] is False

    assert client.post(f"/api/v1/trabajo/{trabajo_id}/entregar", headers=deal.pro.headers).status_code == 200
    done = client.post(f"/api/v1/cliente/trabajo/{trabajo_id}/finalizar", headers=deal.cliente.headers).json()
    assert done["payout_id"] == str(payout_id_for(Trabajo.objects.get(pk=trabajo_id).pk))
    trabajo = Trabajo.objects.get(pk=trabajo_id)
    payout = wait_until(lambda: money_of(client, trabajo_id, deal.pro)["payout"], message="the payout")
    assert payout["payout_id"] == done["payout_id"]
    assert Decimal(payout["amount"]) == trabajo.monto_liberado == Decimal("20000.00") - trabajo.comision_plataforma
    wait_until(lambda: escrow_of(client, trabajo_id, deal.pro) == 0, message="the escrow emptied")
    assert_ledger_sound()


def test_cancelling_a_paid_trabajo_refunds_it_once_at_mercadopago(client, mp_sandbox):
    deal = new_deal(client)
    trabajo_id = paid_trabajo(client, mp_sandbox, deal, precio="8000.00")
    response = client.post(
        f"/api/v1/cliente/trabajo/{trabajo_id}/cancelar",
        {"motivo": "Me mudé"},
        content_type=JSON,
        headers=deal.cliente.headers,
    )
    assert response.status_code == 200
    assert response.json()["refund_id"] == str(refund_id_for(Trabajo.objects.get(pk=trabajo_id).pk))
    refund = wait_until(lambda: completed_refund(client, trabajo_id, deal.cliente), message="the refund")
    assert Decimal(refund["amount"]) == Decimal("8000.00")
    mp_payment_id = Trabajo.objects.get(pk=trabajo_id).mercadopago_payment_id
    refunds = mp_sandbox.refunds(mp_payment_id)
    assert [Decimal(str(r["amount"])) for r in refunds] == [Decimal("8000.00")]
    assert escrow_of(client, trabajo_id, deal.cliente) == 0
    assert state_of(trabajo_id) == "CANCELADO_REEMBOLSADO"
    assert_ledger_sound()


def test_a_dispute_split_refunds_part_and_pays_out_the_rest(client, mp_sandbox, django_user_model):
    deal = new_deal(client)
    trabajo_id = paid_trabajo(client, mp_sandbox, deal, precio="10000.00")
    opened = client.post(
        f"/api/v1/trabajo/{trabajo_id}/disputa",
        {"motivo": "Quedó la mitad sin hacer"},
        content_type=JSON,
        headers=deal.cliente.headers,
    )
    assert opened.status_code == 200
    staff = admin_session(client, django_user_model)
    resolved = client.post(
        f"/api/v1/admin/trabajo/{trabajo_id}/resolver",
        {"porcentaje_reembolso": 40, "nota": "Se hizo más de la mitad"},
        content_type=JSON,
        headers=staff.headers,
    )
    assert resolved.status_code == 200
    trabajo = Trabajo.objects.get(pk=trabajo_id)
    refund = wait_until(lambda: completed_refund(client, trabajo_id, staff), message="the refund")
    payout = wait_until(lambda: money_of(client, trabajo_id, staff)["payout"], message="the payout")
    assert (Decimal(refund["amount"]), Decimal(payout["amount"])) == (Decimal("4000.00"), trabajo.monto_liberado)
    assert trabajo.comision_plataforma == Decimal("6000.00") * trabajo.tasa_comision
    wait_until(lambda: escrow_of(client, trabajo_id, staff) == 0, message="the escrow emptied")
    assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mercadopago_payment_id)] == [
        Decimal("4000.00")
    ]
    assert_ledger_sound()
