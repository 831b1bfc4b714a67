"""A trabajo paid twice (two checkouts open, a double click at MercadoPago): the first approved
payment is the trabajo's; the second is booked from clearing straight into the refund payable —
never the escrow — and refunded in full to that payment, once, however often MercadoPago notifies."""

from decimal import Decimal

import pytest

from conectar.payments.models import LedgerTransaction, PaymentAlert, Refund, RefundStatus, TransactionKind
from conectar.payments.services import ledger, refunds
from tests.payments.helpers import (
    apply_mercadopago,
    assert_ledger_sound,
    clearing_balance,
    completed,
    emit,
    paid_trabajo,
    reconcile,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")


def confirmations(trabajo) -> list[dict]:
    return [e for e in published("payments.payment_confirmed.v1", "payments") if e["trabajo_id"] == str(trabajo.id)]


def test_a_second_approved_payment_is_refunded_in_full_to_that_payment(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    first, before = trabajo.mp_payment_id, clearing_balance()
    second = sandbox_pay(mp_sandbox, trabajo)

    assert apply_mercadopago(second) == "segundo pago aprobado: se devuelve completo"
    assert apply_mercadopago(second) == "segundo pago aprobado: se devuelve completo"  # notified again

    [refund] = Refund.objects.filter(trabajo_id=trabajo.id)
    assert (refund.mercadopago_payment_id, refund.amount, refund.status) == (second, trabajo.price, "requested")
    assert refund.initiated_by == "payments"
    assert trabajo.escrow() == trabajo.price  # the trabajo's own money is untouched
    assert ledger.refund_payable_balance(trabajo.id) == trabajo.price
    assert clearing_balance() == before + trabajo.price
    assert LedgerTransaction.objects.filter(kind=TransactionKind.DUPLICATE_PAYMENT, trabajo_id=trabajo.id).count() == 1
    assert len(confirmations(trabajo)) == 1
    assert PaymentAlert.objects.filter(kind=PaymentAlert.Kind.UNEXPECTED_PAYMENT, trabajo_id=trabajo.id).exists()

    refunds.refund_send(refund.pk)
    refunds.refund_send(refund.pk)  # a retried task

    assert len(mp_sandbox.refunds(second)) == 1
    assert mp_sandbox.refunds(first) == []
    refund.refresh_from_db()
    assert refund.status == RefundStatus.COMPLETED
    assert ledger.refund_payable_balance(trabajo.id) == 0
    assert clearing_balance() == before
    assert trabajo.escrow() == trabajo.price
    assert trabajo.payment().status == "approved"  # the trabajo's payment was not refunded
    assert_ledger_sound()


def test_the_trabajo_still_releases_and_both_payments_reconcile(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    second = sandbox_pay(mp_sandbox, trabajo)
    apply_mercadopago(second)

    output, failed = reconcile()
    assert failed is not None
    assert "double_payment" in output
    assert "(devolución automática en curso)" in output

    refunds.refund_send(Refund.objects.get(mercadopago_payment_id=second).pk)
    apply_mercadopago(second)  # MercadoPago's notification of its refund changes nothing more
    emit(completed(trabajo))

    assert trabajo.escrow() == 0
    assert ledger.balance(ledger.professional_payable(trabajo.profesional_id)) > 0
    output, failed = reconcile()
    assert failed is None, output
    assert Refund.objects.filter(trabajo_id=trabajo.id).count() == 1
    assert_ledger_sound()


def test_a_duplicate_of_a_different_amount_goes_back_as_it_came(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    second = sandbox_pay(mp_sandbox, trabajo, amount=Decimal("123.45"))

    apply_mercadopago(second)

    refund = Refund.objects.get(mercadopago_payment_id=second)
    assert refund.amount == Decimal("123.45")
    assert trabajo.escrow() == trabajo.price
    assert_ledger_sound()
