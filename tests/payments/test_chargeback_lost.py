"""A chargeback lost: staff book the money the issuer took back. Before release it empties the
escrow (the marketplace then cancels the trabajo); after release it is the platform's loss. Once
per payment, only for a payment in charged_back."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from conectar.payments.models import LedgerTransaction, Refund, RefundStatus, TransactionKind
from conectar.payments.services import chargebacks, ledger, refunds
from conectar.shared.errors import Conflict, NotFound
from tests.payments.helpers import (
    apply_mercadopago,
    assert_ledger_sound,
    cancelled,
    clearing_balance,
    completed,
    emit,
    paid_trabajo,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = reverse("admin:payments_payment_changelist")


def charged_back(mp_sandbox, trabajo, status: str = "charged_back") -> None:
    mp_sandbox.set_status(trabajo.mp_payment_id, status, notify=False)
    apply_mercadopago(trabajo.mp_payment_id)


def losses() -> Decimal:
    return ledger.balance(ledger.provider_losses())


def refunded_events(trabajo) -> list[dict]:
    return [e for e in published("payments.refunded.v1", "payments") if e["trabajo_id"] == str(trabajo.id)]


def mark_lost(client, trabajo):
    """Staff's action in Django admin, on the payment's row."""
    return client.post(
        CHANGELIST,
        {"action": "chargeback_lost", "_selected_action": [str(trabajo.payment().pk)]},
        follow=True,
    )


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("tesoreria@example.com", "Clave-Tesoreria-2024"))
    return client


def test_a_chargeback_lost_before_release_empties_the_escrow_and_tells_the_marketplace(mp_sandbox, staff_client):
    trabajo = paid_trabajo(mp_sandbox)
    charged_back(mp_sandbox, trabajo)
    assert trabajo.payment().frozen
    before = clearing_balance()

    page = mark_lost(staff_client, trabajo)

    assert "Se registraron como perdidos 1." in page.content.decode()
    assert trabajo.escrow() == 0
    assert clearing_balance() == before - trabajo.price
    assert losses() == 0
    [booked] = LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind=TransactionKind.CHARGEBACK_LOST)
    assert booked.idempotency_key == f"chargeback_lost:{trabajo.payment().pk}"
    refund = Refund.objects.get(trabajo_id=trabajo.id)
    assert (refund.amount, refund.initiated_by, refund.status) == (trabajo.price, "provider", RefundStatus.COMPLETED)
    [event] = refunded_events(trabajo)
    # The marketplace cancels the trabajo on a provider refund that empties the escrow.
    assert (event["amount"], event["remaining_escrow"], event["initiated_by"]) == ("10000.00", "0.00", "provider")
    assert_ledger_sound()


def test_a_chargeback_lost_after_release_is_the_platforms_loss(mp_sandbox):
    trabajo = paid_trabajo(mp_sandbox)
    emit(completed(trabajo))
    payable = ledger.balance(ledger.professional_payable(trabajo.profesional_id))
    charged_back(mp_sandbox, trabajo)

    assert chargebacks.chargeback_lost(payment_id=trabajo.payment().pk) == trabajo.price

    assert losses() == trabajo.price
    assert trabajo.escrow() == 0
    # What was released stays the professional's: the platform absorbs the chargeback.
    assert ledger.balance(ledger.professional_payable(trabajo.profesional_id)) == payable
    [event] = refunded_events(trabajo)
    assert (event["remaining_escrow"], event["initiated_by"]) == ("0.00", "provider")
    assert_ledger_sound()


def test_a_chargeback_is_booked_as_lost_once(mp_sandbox, staff_client):
    trabajo = paid_trabajo(mp_sandbox)
    charged_back(mp_sandbox, trabajo)
    chargebacks.chargeback_lost(payment_id=trabajo.payment().pk)

    with pytest.raises(Conflict) as again:
        chargebacks.chargeback_lost(payment_id=trabajo.payment().pk)
    assert again.value.code == "already_recorded"
    page = mark_lost(staff_client, trabajo)  # a second click in the admin

    assert "Este contracargo ya se registró como perdido." in page.content.decode()
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind=TransactionKind.CHARGEBACK_LOST).count() == 1
    assert len(refunded_events(trabajo)) == 1
    assert_ledger_sound()


@pytest.mark.parametrize("status", ["in_mediation", None])
def test_only_a_payment_in_charged_back_can_be_booked_as_lost(mp_sandbox, status):
    trabajo = paid_trabajo(mp_sandbox)
    if status:
        charged_back(mp_sandbox, trabajo, status)

    with pytest.raises(Conflict) as refused:
        chargebacks.chargeback_lost(payment_id=trabajo.payment().pk)

    assert refused.value.code == "not_charged_back"
    assert trabajo.escrow() == trabajo.price
    assert not LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind=TransactionKind.CHARGEBACK_LOST).exists()
    with pytest.raises(NotFound):
        chargebacks.chargeback_lost(payment_id=uuid.uuid4())


def test_the_action_is_staff_only(mp_sandbox, client, django_user_model):
    trabajo = paid_trabajo(mp_sandbox)
    charged_back(mp_sandbox, trabajo)
    client.force_login(django_user_model.objects.create_user("cliente@example.com", "Clave-Cliente-2024"))

    mark_lost(client, trabajo)

    assert trabajo.escrow() == trabajo.price


def test_a_refund_the_freeze_held_back_is_annulled_not_paid_twice(mp_sandbox, client, django_user_model):
    """Cancelled and refunded, then charged back before the refund went out: the issuer returned the
    money, so our refund is annulled (its reservation back to the escrow) and can never be retried."""
    trabajo = paid_trabajo(mp_sandbox)
    emit(cancelled(trabajo, refund=True))  # reserved; its send is lost here ("the worker did not run")
    charged_back(mp_sandbox, trabajo)
    [held] = Refund.objects.filter(trabajo_id=trabajo.id)
    refunds.refund_send(held.pk)  # the worker now: the freeze holds it back
    assert mp_sandbox.refunds(trabajo.mp_payment_id) == []
    assert ledger.refund_payable_balance(trabajo.id) == trabajo.price
    before = clearing_balance()

    assert chargebacks.chargeback_lost(payment_id=trabajo.payment().pk) == trabajo.price

    held.refresh_from_db()
    assert held.status == RefundStatus.CANCELLED
    assert ledger.refund_payable_balance(trabajo.id) == 0
    assert trabajo.escrow() == 0
    assert clearing_balance() == before - trabajo.price  # once: the issuer's, not ours as well
    assert losses() == 0
    with pytest.raises(Conflict):
        refunds.refund_retry(refund_id=held.pk)
    refunds.refund_send(held.pk)
    assert mp_sandbox.refunds(trabajo.mp_payment_id) == []
    apply_mercadopago(trabajo.mp_payment_id)  # a later reading books nothing more
    assert clearing_balance() == before - trabajo.price
    assert_ledger_sound()
