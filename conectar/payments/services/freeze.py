"""Lifting a chargeback's or mediation's freeze: by MercadoPago itself (the payment reads `approved`
again — the case was decided for us) or by staff (Django admin, after following the case).

Everything the freeze held goes on at once, in the same transaction that lifts it (the Payment
locked): the marketplace's decisions that arrived meanwhile (release, dispute split, cancellation),
then the payouts and refunds whose sending it stopped or that MercadoPago refused meanwhile."""

from __future__ import annotations

from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from conectar.payments.models import Payment, Payout, PayoutStatus, Refund, RefundStatus
from conectar.payments.services import dispatch, escrow
from conectar.platform.databases import alias_for

DB = alias_for("payments")
log = structlog.get_logger(__name__)


def freeze_lift(payment: Payment) -> None:
    """Inside a payments transaction holding `payment`'s lock."""
    payment.frozen = False
    payment.save(update_fields=["frozen", "updated_at"])
    settled = escrow.held_settle(payment)
    now = timezone.now()
    held_payouts = list(
        Payout.objects.filter(
            trabajo_id=payment.trabajo_id, status=PayoutStatus.PENDING, next_attempt_at=None
        ).values_list("pk", flat=True)
    )
    Payout.objects.filter(pk__in=held_payouts).update(next_attempt_at=now, updated_at=now)
    held_refunds = list(
        Refund.objects.filter(payment=payment, status=RefundStatus.REQUESTED, next_attempt_at=None).values_list(
            "pk", flat=True
        )
    )
    Refund.objects.filter(pk__in=held_refunds).update(next_attempt_at=now, updated_at=now)
    # A refund sent while MercadoPago already had the payment disputed was refused there (it cannot
    # refund a charged-back payment): the client is still owed it, and the money is back with us.
    refused = list(
        Refund.objects.filter(
            payment=payment, mercadopago_payment_id=payment.mercadopago_payment_id, status=RefundStatus.FAILED
        ).values_list("pk", flat=True)
    )
    Refund.objects.filter(pk__in=refused).update(
        status=RefundStatus.REQUESTED, attempts=0, refused=False, next_attempt_at=now, updated_at=now
    )
    held_refunds += refused
    for payout_id in held_payouts:
        dispatch.enqueue_on_commit(dispatch.SEND_PAYOUT, payout_id)
    for refund_id in held_refunds:
        dispatch.enqueue_on_commit(dispatch.SEND_REFUND, refund_id)
    log.info(
        "payments.freeze_lifted",
        trabajo_id=str(payment.trabajo_id),
        decisions=settled,
        payouts=len(held_payouts),
        refunds=len(held_refunds),
    )


def payment_unfreeze(*, payment_id: UUID) -> bool:
    """Staff lift a freeze (after the chargeback or mediation was settled at MercadoPago). Returns
    whether anything changed."""
    with transaction.atomic(using=DB):
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None or not payment.frozen:
            return False
        freeze_lift(payment)
    return True
