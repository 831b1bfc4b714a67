"""What the marketplace's decisions do to a trabajo's escrow: release (WorkCompleted), a dispute
split (DisputeResolved), cancellation (WorkCancelled).

Each runs inside the event handler's transaction (the bus records the event as processed in the same
commit) and under the Payment lock. The amounts come from the event (the marketplace froze the
commission rate at accept time); they must add up to the price and to what the escrow holds. If they
do not, or the money was never confirmed, the handler raises: the event is retried and then
dead-lettered for staff, and nothing moves. Money that cannot be accounted for is never guessed.

A decision that finds the money frozen by a chargeback or mediation is held (`settle_or_hold`), not
retried into a dead letter: it is carried out when the freeze is lifted (`held_settle`) and dropped
when the chargeback is lost (`held_drop`).
"""

from __future__ import annotations

from decimal import Decimal

import structlog
from django.db import transaction
from django.utils import timezone

from conectar.marketplace.contracts import DisputeResolved, WorkCancelled, WorkCompleted
from conectar.payments.contracts import PaymentStatus, refund_id_for
from conectar.payments.models import HeldDecision, Payment, PaymentAlert, Refund, RefundInitiator, TransactionKind
from conectar.payments.services import alerts, ledger, payouts, refunds
from conectar.payments.services.payments import ensure_money_movable, is_confirmed, locked_payment
from conectar.platform.databases import alias_for
from conectar.shared.errors import Conflict
from conectar.shared.events import from_payload, to_payload

DB = alias_for("payments")
log = structlog.get_logger(__name__)


class EscrowMismatch(RuntimeError):
    """The event's amounts do not match the escrow: staff must look (the event is dead-lettered)."""


def _payment_for(event: WorkCompleted | DisputeResolved) -> Payment:
    payment = locked_payment(event.trabajo_id)
    if payment is None:
        raise EscrowMismatch(f"trabajo {event.trabajo_id} has no payment here")
    if (payment.cliente_id, payment.profesional_id) != (event.cliente_id, event.profesional_id):
        raise EscrowMismatch(f"trabajo {event.trabajo_id}: the event names other people than its payment")
    return payment


def _check_split(payment: Payment, *, precio: Decimal, parts: tuple[Decimal, ...]) -> None:
    if any(part < 0 for part in parts) or sum(parts, Decimal("0.00")) != precio:
        raise EscrowMismatch(f"trabajo {payment.trabajo_id}: {parts} do not add up to the price {precio}")
    held = ledger.escrow_balance(payment.trabajo_id)
    if held != precio:
        raise EscrowMismatch(f"trabajo {payment.trabajo_id}: escrow holds {held}, the event splits {precio}")


def _post_release(payment: Payment, *, comision: Decimal, liberado: Decimal, memo: str) -> None:
    trabajo_id = payment.trabajo_id
    ledger.post(
        kind=TransactionKind.RELEASE,
        idempotency_key=f"release:{trabajo_id}",
        trabajo_id=trabajo_id,
        memo=memo,
        lines=[
            ledger.debit(ledger.escrow(trabajo_id), comision + liberado),
            ledger.credit(ledger.professional_payable(payment.profesional_id), liberado),
            ledger.credit(ledger.commission_revenue(), comision),
        ],
    )
    if liberado > 0:
        payouts.payout_create(trabajo_id=trabajo_id, profesional_id=payment.profesional_id, amount=liberado)


@transaction.atomic(using=DB)
def release_on_completed(event: WorkCompleted) -> None:
    """LIBERADO: the professional's part to their payable (and a payout), the commission to revenue."""
    payment = _payment_for(event)
    if ledger.already_posted(f"release:{event.trabajo_id}"):
        return  # released already (the same decision delivered under another event id)
    ensure_money_movable(payment)
    _check_split(payment, precio=event.precio_final, parts=(event.comision_plataforma, event.monto_liberado))
    _post_release(
        payment,
        comision=event.comision_plataforma,
        liberado=event.monto_liberado,
        memo=f"Liberación del trabajo (comisión {event.tasa_comision})",
    )
    log.info("payments.released", trabajo_id=str(event.trabajo_id), liberado=str(event.monto_liberado))


@transaction.atomic(using=DB)
def dispute_settle(event: DisputeResolved) -> None:
    """RESUELTO: `monto_reembolsado` back to the client; the rest released, commission on it only."""
    payment = _payment_for(event)
    if (
        ledger.already_posted(f"release:{event.trabajo_id}")
        or Refund.objects.filter(pk=refund_id_for(event.trabajo_id)).exists()
    ):
        return  # settled already
    ensure_money_movable(payment)
    _check_split(
        payment,
        precio=event.precio_final,
        parts=(event.monto_reembolsado, event.comision_plataforma, event.monto_liberado),
    )
    if event.monto_reembolsado > 0:
        refunds.refund_reserve(
            payment,
            refund_id=refund_id_for(event.trabajo_id),
            amount=event.monto_reembolsado,
            initiated_by=RefundInitiator.MARKETPLACE,
            reason=f"Disputa resuelta: {event.porcentaje_reembolso} % para el cliente",
        )
    if event.comision_plataforma + event.monto_liberado > 0:
        _post_release(
            payment,
            comision=event.comision_plataforma,
            liberado=event.monto_liberado,
            memo=f"Liberación parcial por disputa ({100 - event.porcentaje_reembolso} %)",
        )
    log.info("payments.dispute_settled", trabajo_id=str(event.trabajo_id), reembolso=str(event.monto_reembolsado))


@transaction.atomic(using=DB)
def cancellation_settle(event: WorkCancelled) -> None:
    """CANCELADO_REEMBOLSADO: all that is left in escrow goes back. CANCELADO (unpaid): the checkout
    is closed; if the money arrived anyway in the meantime, it goes back too."""
    payment = locked_payment(event.trabajo_id)
    if payment is None:
        log.info("payments.cancel_without_payment", trabajo_id=str(event.trabajo_id))
        return
    if not is_confirmed(payment):
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.REJECTED):
            payment.status = PaymentStatus.CANCELLED
            payment.save(update_fields=["status", "updated_at"])
        return
    remaining = ledger.escrow_balance(event.trabajo_id)
    if remaining == 0:
        return  # refunded or released already: nothing is held
    if not event.refund:
        # The trabajo was cancelled unpaid while the payment was being confirmed.
        alerts.alert_raise(
            kind=PaymentAlert.Kind.LATE_PAYMENT,
            key=f"late_payment:{payment.mercadopago_payment_id}",
            trabajo_id=event.trabajo_id,
            detail=f"El pago {payment.mercadopago_payment_id} llegó con el trabajo ya cancelado: se reembolsa.",
        )
    refunds.refund_reserve(
        payment,
        refund_id=refund_id_for(event.trabajo_id),
        amount=remaining,
        initiated_by=RefundInitiator.MARKETPLACE if event.refund else RefundInitiator.PAYMENTS,
        reason=f"Trabajo cancelado ({event.cancelled_by}): {event.motivo}"[:300],
    )


# --- decisions that meet a frozen payment ---------------------------------------------------------------

_SETTLE = {
    WorkCompleted: release_on_completed,
    DisputeResolved: dispute_settle,
    WorkCancelled: cancellation_settle,
}
Decision = WorkCompleted | DisputeResolved | WorkCancelled


@transaction.atomic(using=DB)
def settle_or_hold(event: Decision) -> None:
    """Carry out the marketplace's decision, or hold it while a chargeback or mediation freezes the
    money. The Payment lock is taken first and kept to the commit, so a freeze lifted concurrently
    either sees this decision held or comes before it and lets it through."""
    payment = locked_payment(event.trabajo_id)
    if payment is not None and payment.frozen and is_confirmed(payment):
        HeldDecision.objects.bulk_create(
            [
                HeldDecision(
                    trabajo_id=event.trabajo_id,
                    event_id=event.event_id,
                    event_type=event.type_name(),
                    payload=to_payload(event),
                )
            ],
            ignore_conflicts=True,
        )
        log.warning("payments.decision_held", trabajo_id=str(event.trabajo_id), event_type=event.type_name())
        return
    _SETTLE[type(event)](event)


def held_settle(payment: Payment) -> int:
    """The freeze was just lifted (inside that transaction, the Payment locked): carry out what was
    held, in arrival order. One that cannot be carried out any more is closed with the reason and an
    alert, never retried blindly. Returns how many were carried out."""
    done = 0
    for held in HeldDecision.objects.select_for_update().filter(trabajo_id=payment.trabajo_id, settled_at=None):
        event = from_payload(held.event_type, held.payload)
        try:
            with transaction.atomic(using=DB):
                _SETTLE[type(event)](event)
        except (EscrowMismatch, Conflict) as exc:
            held.outcome = f"no aplicada: {exc}"[:300]
            alerts.alert_raise(
                kind=PaymentAlert.Kind.AMOUNT_MISMATCH,
                key=f"held_decision:{held.event_id}",
                trabajo_id=payment.trabajo_id,
                detail=f"La decisión retenida {held.event_type} no se pudo aplicar al levantar el congelamiento: {exc}",
            )
        else:
            held.outcome = "aplicada al levantar el congelamiento"
            done += 1
        held.settled_at = timezone.now()
        held.save(update_fields=["settled_at", "outcome"])
    return done


def held_drop(payment: Payment, *, reason: str) -> None:
    """A chargeback lost: the issuer returned the money; nothing held may move it again."""
    HeldDecision.objects.filter(trabajo_id=payment.trabajo_id, settled_at=None).update(
        settled_at=timezone.now(), outcome=f"descartada: {reason}"[:300]
    )
