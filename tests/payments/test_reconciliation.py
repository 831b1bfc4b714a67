"""`manage.py reconcile_payments`: MercadoPago's payments against ours and the ledger."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.models import Refund
from conectar.payments.services import refunds
from tests.payments.helpers import (
    apply_mercadopago,
    cancelled,
    emit,
    new_checkout,
    paid_trabajo,
    reconcile,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)

pytestmark = pytest.mark.django_db(databases="__all__")


def lines(output: str) -> list[tuple[str, str]]:
    """(kind, trabajo id) of each mismatch line."""
    found = []
    for line in output.splitlines():
        kind, _, trabajo, *_ = line.split("\t")
        found.append((kind, trabajo.removeprefix("trabajo=")))
    return found


def test_agreeing_books_exit_zero(mp_sandbox):
    paid_trabajo(mp_sandbox)
    refunded = paid_trabajo(mp_sandbox)
    emit(cancelled(refunded, refund=True))
    refunds.refund_send(Refund.objects.get(trabajo_id=refunded.id).pk)
    new_checkout()  # never paid: nothing to compare

    output, error = reconcile()

    assert error is None, output
    assert "agree" in output


def test_planted_mismatches_are_each_reported_and_the_exit_is_non_zero(mp_sandbox):
    # 1. approved at MercadoPago; its notification never reached us
    lost = new_checkout()
    sandbox_pay(mp_sandbox, lost)
    # 2. refunded in MercadoPago's panel; we were not told
    panel_refund = paid_trabajo(mp_sandbox)
    mercadopago.refund_payment(
        payment_id=panel_refund.mp_payment_id, amount=Decimal("1000.00"), idempotency_key="panel-1"
    )
    # 3. confirmed here, but MercadoPago now says cancelled
    reversed_there = paid_trabajo(mp_sandbox)
    mp_sandbox.set_status(reversed_there.mp_payment_id, "cancelled", notify=False)
    # 4. approved for another amount (flagged, not confirmed)
    wrong_amount = new_checkout()
    apply_mercadopago(sandbox_pay(mp_sandbox, wrong_amount, amount=Decimal("10.00")))
    fine = paid_trabajo(mp_sandbox)

    output, error = reconcile()

    assert error is not None
    assert "4 mismatch" in str(error)
    found = lines(output)
    assert sorted(found) == sorted(
        [
            ("approved_not_confirmed", str(lost.id)),
            ("refunded_differs", str(panel_refund.id)),
            ("confirmed_not_approved", str(reversed_there.id)),
            ("approved_not_confirmed", str(wrong_amount.id)),
        ]
    )
    assert str(fine.id) not in output
    assert "MercadoPago reembolsó 1000.00; el libro 0.00" in output


def test_a_bad_date_is_a_usage_error(mp_sandbox):
    with pytest.raises(CommandError, match="not a date"):
        call_command("reconcile_payments", "--since", "ayer")


def test_an_unconfirmed_payment_already_refunded_in_full_is_not_a_mismatch(mp_sandbox):
    wrong_amount = new_checkout()
    mp_id = sandbox_pay(mp_sandbox, wrong_amount, amount=Decimal("10.00"))
    apply_mercadopago(mp_id)  # flagged, never confirmed
    mp_sandbox.set_status(mp_id, "refunded", notify=False)  # staff gave it back in MercadoPago

    output, error = reconcile()

    assert error is None, output
