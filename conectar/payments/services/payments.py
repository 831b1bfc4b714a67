"""The Payment row as the lock of its trabajo's money.

Every change to a trabajo's money (confirmation, release, refund, provider refund, freeze) runs in a
payments transaction that first locks the trabajo's Payment row (`SELECT … FOR UPDATE`). That one
lock serialises them, so each decision (is it confirmed? frozen? how much is left in escrow?) is
taken on a state nobody else is changing. Lock order, everywhere: Payment, then Refund/Payout rows.
"""

from __future__ import annotations

from uuid import UUID

from conectar.payments.contracts import PaymentFrozen, PaymentNotConfirmed
from conectar.payments.models import Payment


def locked_payment(trabajo_id: UUID) -> Payment | None:
    return Payment.objects.select_for_update().filter(trabajo_id=trabajo_id).first()


def is_confirmed(payment: Payment) -> bool:
    """The money arrived and was posted to escrow (whatever happened to it afterwards)."""
    return payment.approved_at is not None


def ensure_money_movable(payment: Payment) -> None:
    """Release, payout and refund need confirmed money that no chargeback or mediation holds."""
    if not is_confirmed(payment):
        raise PaymentNotConfirmed
    if payment.frozen:
        raise PaymentFrozen
