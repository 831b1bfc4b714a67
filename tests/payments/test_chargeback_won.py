"""A chargeback (or mediation) opened, then won: MercadoPago reports the payment `approved` again.

While the case is open the money is frozen: a release, a dispute split or a cancellation that
arrives meanwhile is held (never dead-lettered: a chargeback lasts weeks, the bus's retries
minutes), and payouts and refunds wait. When the webhook brings `approved` back, the freeze is
lifted by itself and everything it held goes on: release, payout, refund, once; the ledger balances
and reconciliation with MercadoPago is clean. A chargeback lost drops what was held."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conectar.payments.contracts import PaymentStatus
from conectar.payments.models import HeldDecision, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import chargebacks, escrow, ledger, payouts, refunds
from conectar.payments.services.freeze import payment_unfreeze
from tests.payments.helpers import (
    JSON,
    apply_mercadopago,
    assert_ledger_sound,
    cancelled,
    completed,
    emit,
    paid_trabajo,
    reconcile,
    resolved,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.professionals import new_professional

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def money_out(settings):
    settings.PAYOUT_PROVIDER = "mercadopago"
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0


def pro_with_account(client):
    pro = new_professional(client)
    response = client.put(
        "/api/v1/professional/payout-info", {"payout_account": "pedro.gomez.mp"}, content_type=JSON, headers=pro.headers
    )
    assert response.status_code == 200, response.content
    return pro


def mercadopago_says(mp_sandbox, trabajo, status: str) -> None:
    """MercadoPago changes the payment and its webhook is applied (as the webhook worker does)."""
    mp_sandbox.set_status(trabajo.mp_payment_id, status, notify=False)
    apply_mercadopago(trabajo.mp_payment_id)


def send_due(trabajo) -> None:
    """What the worker does with the queued payouts and refunds of the trabajo."""
    for payout in Payout.objects.filter(trabajo_id=trabajo.id, status=PayoutStatus.PENDING):
        payouts.payout_send(payout.pk)
    for refund in Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.REQUESTED):
        refunds.refund_send(refund.pk)


def assert_clean() -> None:
    assert_ledger_sound()
    output, failed = reconcile()
    assert failed is None, output


@pytest.mark.parametrize("status", ["charged_back", "in_mediation"])
def test_a_release_decided_during_a_chargeback_is_held_and_carried_out_once_it_is_won(
    client, mp_sandbox, money_out, status
):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_with_account(client).session.user_id)
    mercadopago_says(mp_sandbox, trabajo, status)

    emit(completed(trabajo))  # handled (held), not failed into the bus's retries

    assert trabajo.payment().frozen is True
    assert trabajo.escrow() == trabajo.price
    assert not ledger.already_posted(f"release:{trabajo.id}")
    [held] = HeldDecision.objects.filter(trabajo_id=trabajo.id)
    assert held.settled_at is None

    mercadopago_says(mp_sandbox, trabajo, "approved")  # the case was decided for us

    payment = trabajo.payment()
    assert (payment.status, payment.frozen) == (PaymentStatus.APPROVED, False)
    held.refresh_from_db()
    assert held.settled_at is not None
    assert held.outcome.startswith("aplicada")
    assert trabajo.escrow() == 0
    payout = Payout.objects.get(trabajo_id=trabajo.id)
    assert payout.amount == completed(trabajo).monto_liberado
    send_due(trabajo)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert len(mp_sandbox.transfers()) == 1
    # The same webhook again (MercadoPago repeats itself) changes nothing.
    apply_mercadopago(trabajo.mp_payment_id)
    assert ledger.balance(ledger.professional_payable(trabajo.profesional_id)) == 0
    assert Payout.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert_clean()


def test_a_payout_a_chargeback_held_back_is_sent_once_the_chargeback_is_won(client, mp_sandbox, money_out):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_with_account(client).session.user_id)
    emit(completed(trabajo))
    payout = Payout.objects.get(trabajo_id=trabajo.id)
    mercadopago_says(mp_sandbox, trabajo, "charged_back")
    payouts.payout_send(payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.next_attempt_at) == (PayoutStatus.PENDING, None)  # held

    mercadopago_says(mp_sandbox, trabajo, "approved")

    payout.refresh_from_db()
    assert payout.next_attempt_at is not None  # due again
    send_due(trabajo)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED
    assert len(mp_sandbox.transfers()) == 1
    assert_clean()


def test_a_cancellation_during_a_chargeback_refunds_once_it_is_won(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mercadopago_says(mp_sandbox, trabajo, "in_mediation")
    emit(cancelled(trabajo))
    assert not Refund.objects.filter(trabajo_id=trabajo.id).exists()

    mercadopago_says(mp_sandbox, trabajo, "approved")

    [refund] = Refund.objects.filter(trabajo_id=trabajo.id)
    assert refund.amount == trabajo.price
    send_due(trabajo)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mp_payment_id)] == [trabajo.price]
    apply_mercadopago(trabajo.mp_payment_id)  # MercadoPago's own notice of our refund books nothing more
    assert trabajo.escrow() == 0
    assert_clean()


def test_a_refund_mercadopago_refused_during_the_chargeback_is_sent_again_once_it_is_won(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo))  # reserved before the chargeback reached us
    mp_sandbox.set_status(trabajo.mp_payment_id, "charged_back", notify=False)
    [refund] = Refund.objects.filter(trabajo_id=trabajo.id)
    refunds.refund_send(refund.pk)  # MercadoPago cannot refund a charged-back payment
    refund.refresh_from_db()
    assert (refund.status, refund.refused) == (RefundStatus.FAILED, True)
    apply_mercadopago(trabajo.mp_payment_id)

    mercadopago_says(mp_sandbox, trabajo, "approved")

    send_due(trabajo)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mp_payment_id)] == [trabajo.price]
    assert trabajo.escrow() == 0 == ledger.refund_payable_balance(trabajo.id)
    assert_clean()


def test_a_dispute_split_decided_during_a_mediation_goes_on_once_it_is_won(client, mp_sandbox, money_out):
    trabajo = paid_trabajo(mp_sandbox, profesional_id=pro_with_account(client).session.user_id)
    mercadopago_says(mp_sandbox, trabajo, "in_mediation")
    split = resolved(trabajo, 30)
    emit(split)
    assert trabajo.escrow() == trabajo.price

    mercadopago_says(mp_sandbox, trabajo, "approved")
    send_due(trabajo)

    assert Refund.objects.get(trabajo_id=trabajo.id).status == RefundStatus.COMPLETED
    assert Payout.objects.get(trabajo_id=trabajo.id).amount == split.monto_liberado
    assert [Decimal(str(r["amount"])) for r in mp_sandbox.refunds(trabajo.mp_payment_id)] == [split.monto_reembolsado]
    assert trabajo.escrow() == 0
    assert_clean()


def test_a_chargeback_lost_drops_the_decision_it_held(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    mercadopago_says(mp_sandbox, trabajo, "charged_back")
    emit(completed(trabajo))

    taken = chargebacks.chargeback_lost(payment_id=trabajo.payment().pk)
    assert taken == trabajo.price
    held = HeldDecision.objects.get(trabajo_id=trabajo.id)
    assert held.settled_at is not None
    assert held.outcome.startswith("descartada")
    assert payment_unfreeze(payment_id=trabajo.payment().pk) is True  # staff close the case afterwards
    assert not ledger.already_posted(f"release:{trabajo.id}")
    assert not Payout.objects.filter(trabajo_id=trabajo.id).exists()
    assert trabajo.escrow() == 0
    assert_ledger_sound()


def test_a_decision_that_meets_no_freeze_is_carried_out_at_once(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    escrow.settle_or_hold(completed(trabajo))
    assert ledger.already_posted(f"release:{trabajo.id}")
    assert not HeldDecision.objects.exists()
