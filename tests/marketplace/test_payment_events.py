"""What payments' events do to a trabajo: each moves it only where the transition table allows, so
duplicates and out-of-order deliveries change nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from conectar.marketplace.contracts import EstadoEscrow
from conectar.marketplace.models import Message, Trabajo
from conectar.payments.contracts import (
    ChargebackOpened,
    PaymentConfirmed,
    PaymentFailed,
    PaymentFailureReason,
    Refunded,
)
from conectar.platform.events import publish
from tests.marketplace.deals import new_deal, trabajo_in
from tests.marketplace.helpers import send
from tests.support.events import deliver_outbox, published

pytestmark = pytest.mark.django_db(databases="__all__")
E = EstadoEscrow


def emit(*events) -> None:
    with transaction.atomic(using="payments"):
        for event in events:
            publish(event)
    deliver_outbox(to={"marketplace"})


def parties(trabajo: Trabajo) -> dict:
    return {"trabajo_id": trabajo.pk, "cliente_id": trabajo.cliente_id, "profesional_id": trabajo.profesional_id}


def confirmed(trabajo: Trabajo, mp_id="123456789") -> PaymentConfirmed:
    return PaymentConfirmed(
        **parties(trabajo), payment_id=uuid.uuid4(), amount=trabajo.precio_final, mercadopago_payment_id=mp_id
    )


def estado(trabajo: Trabajo) -> str:
    return Trabajo.objects.get(pk=trabajo.pk).estado


def test_a_confirmed_payment_puts_the_money_in_escrow_once(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.PENDIENTE_PAGO)
    emit(confirmed(trabajo), confirmed(trabajo))
    stored = Trabajo.objects.get(pk=trabajo.pk)
    assert (stored.estado, stored.mercadopago_payment_id) == (E.PAGADO_EN_ESCROW, "123456789")
    assert stored.pagado_at is not None
    assert len(published("marketplace.work_paid.v1", "marketplace")) == 1
    assert stored.history.count() == 1


def test_contact_details_pass_once_the_pair_has_a_paid_trabajo(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.PENDIENTE_PAGO)
    before = send(client, deal.cliente, deal.chat_id, "mi cel es 11 4567 8901").json()
    assert before["masked"] is True
    emit(confirmed(trabajo))
    after = send(client, deal.cliente, deal.chat_id, "mi cel es 11 4567 8901").json()
    assert (after["masked"], after["text"]) == (False, "mi cel es 11 4567 8901")


def test_a_payment_after_the_trabajo_expired_unpaid_is_refunded(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.CANCELADO)
    emit(confirmed(trabajo))
    assert estado(trabajo) == E.CANCELADO_REEMBOLSADO
    (cancelled,) = published("marketplace.work_cancelled.v1", "marketplace")
    assert (cancelled["refund"], cancelled["professional_at_fault"]) == (True, False)
    assert Trabajo.objects.get(pk=trabajo.pk).pagado_at is None  # contacts stay shielded


def test_a_failed_payment_leaves_the_trabajo_payable_and_says_so(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.PENDIENTE_PAGO)
    emit(
        PaymentFailed(
            **parties(trabajo),
            payment_id=uuid.uuid4(),
            mercadopago_payment_id="1",
            status="rejected",
            reason=PaymentFailureReason.INSUFFICIENT_FUNDS,
        )
    )
    assert estado(trabajo) == E.PENDIENTE_PAGO
    assert Message.objects.filter(chat_id=deal.chat_id, text__contains="no se pudo completar").exists()


@pytest.mark.parametrize("start", [E.PAGADO_EN_ESCROW, E.ENTREGADO])
def test_a_chargeback_freezes_the_release_in_a_dispute(client, start):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, start)
    event = ChargebackOpened(
        **parties(trabajo), payment_id=uuid.uuid4(), mercadopago_payment_id="9", status="charged_back"
    )
    emit(event)
    stored = Trabajo.objects.get(pk=trabajo.pk)
    assert (stored.estado, stored.contracargo) == (E.EN_DISPUTA, True)
    assert published("marketplace.dispute_opened.v1", "marketplace")[0]["opened_by"] == "SISTEMA"
    # the client can no longer finalize: release is frozen
    response = client.post(f"/api/v1/trabajo/{trabajo.pk}/finalizar", headers=deal.cliente.headers)
    assert response.status_code == 400


def test_a_chargeback_after_release_is_flagged_for_staff(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.LIBERADO)
    emit(
        ChargebackOpened(**parties(trabajo), payment_id=uuid.uuid4(), mercadopago_payment_id="9", status="in_mediation")
    )
    stored = Trabajo.objects.get(pk=trabajo.pk)
    assert (stored.estado, stored.contracargo) == (E.LIBERADO, True)


def test_a_full_refund_made_in_mercadopago_cancels_the_trabajo(client):
    deal = new_deal(client)
    trabajo, partial = trabajo_in(deal, E.ENTREGADO), trabajo_in(deal, E.ENTREGADO)

    def refunded(t, remaining, by="provider"):
        return Refunded(
            **parties(t),
            refund_id=uuid.uuid4(),
            amount=Decimal("100.00"),
            remaining_escrow=remaining,
            initiated_by=by,
        )

    emit(refunded(trabajo, Decimal("0.00")), refunded(partial, Decimal("9900.00")))
    assert (estado(trabajo), estado(partial)) == (E.CANCELADO_REEMBOLSADO, E.ENTREGADO)
    ours = trabajo_in(deal, E.PAGADO_EN_ESCROW)
    emit(refunded(ours, Decimal("0.00"), by="marketplace"))  # the marketplace's own refunds change nothing here
    assert estado(ours) == E.PAGADO_EN_ESCROW
