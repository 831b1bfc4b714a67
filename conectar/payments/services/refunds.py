"""Refunds to the client, in two ledger steps.

1. `refund_reserve` (in the transaction that decides the refund, under the Payment lock): the
   amount leaves the escrow for the trabajo's refund-payable account. From then on it can never be
   released as well, whatever arrives next.
2. A worker (`refund_send`) asks MercadoPago with the refund id as idempotency key — a retried call,
   after a timeout or a crash, is the same refund at MercadoPago. When MercadoPago confirms,
   `refund_complete` posts refund-payable → clearing and publishes `Refunded`.

A refund MercadoPago refuses (4xx), or that keeps failing, is FAILED: its amount stays reserved
(the client is owed it; it must not be released) and staff retry it from the admin.

A second approved payment for a trabajo already paid (`duplicate_refund_reserve`) never touches the
escrow: it is booked from clearing straight into the refund payable and goes back the same way.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conectar.payments.contracts import PaymentProviderUnavailable, PaymentStatus, Refunded
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.mercadopago.client import MercadoPagoRejected
from conectar.payments.models import Payment, PaymentAlert, Refund, RefundInitiator, RefundStatus, TransactionKind
from conectar.payments.services import alerts, dispatch, ledger, retries
from conectar.payments.services.ledger import InsufficientFunds
from conectar.payments.services.payments import ensure_money_movable, locked_payment
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import Conflict, InvalidInput, NotFound
from conectar.shared.money import CENT

DB = alias_for("payments")
log = structlog.get_logger(__name__)

_STAFF_NAMESPACE = uuid.UUID("a1d0c5e2-6b1f-4c8e-9d47-3f2b8e61c0aa")
_DUPLICATE_NAMESPACE = uuid.UUID("7c4e2a91-3b5d-4f60-8e1a-9d2c6b0f4e17")
SUCCEEDED = {"approved"}
REFUSED = {"rejected", "cancelled"}


def refund_reserve(
    payment: Payment,
    *,
    refund_id: UUID,
    amount: Decimal,
    initiated_by: RefundInitiator,
    reason: str,
    requested_by: UUID | None = None,
) -> Refund:
    """Reserve `amount` of the escrow for a refund and queue it. The caller holds the Payment lock
    inside a payments transaction. Idempotent by `refund_id`."""
    existing = Refund.objects.filter(pk=refund_id).first()
    if existing is not None:
        return existing
    ensure_money_movable(payment)
    escrow = ledger.escrow(payment.trabajo_id)
    if amount <= 0 or amount > ledger.balance(escrow):
        raise InsufficientFunds("El monto supera lo que queda en garantía para este trabajo.")
    refund = Refund.objects.create(
        id=refund_id,
        payment=payment,
        trabajo_id=payment.trabajo_id,
        mercadopago_payment_id=payment.mercadopago_payment_id,
        amount=amount,
        initiated_by=initiated_by,
        reason=reason[:300],
        requested_by=requested_by,
        status=RefundStatus.REQUESTED,
        next_attempt_at=timezone.now(),
    )
    ledger.post(
        kind=TransactionKind.REFUND_RESERVED,
        idempotency_key=f"refund_reserved:{refund_id}",
        trabajo_id=payment.trabajo_id,
        memo=f"Reembolso {refund_id} reservado ({initiated_by})",
        lines=[ledger.debit(escrow, amount), ledger.credit(ledger.refund_payable(payment.trabajo_id), amount)],
    )
    dispatch.enqueue_on_commit(dispatch.SEND_REFUND, refund_id)
    log.info(
        "payments.refund_reserved", refund_id=str(refund_id), trabajo_id=str(payment.trabajo_id), amount=str(amount)
    )
    return refund


def duplicate_refund_reserve(payment: Payment, *, mercadopago_payment_id: str, amount: Decimal) -> Refund:
    """MercadoPago approved another payment (`mercadopago_payment_id`) for a trabajo `payment` already
    confirmed: the money reached the platform's account but nothing here is owed for it. Book it
    into the trabajo's refund payable and queue its full refund, to that payment. The caller holds
    the Payment lock. Idempotent by the MercadoPago payment (webhooks and re-reads repeat)."""
    refund_id = uuid.uuid5(_DUPLICATE_NAMESPACE, mercadopago_payment_id)
    existing = Refund.objects.filter(pk=refund_id).first()
    if existing is not None:
        return existing
    refund = Refund.objects.create(
        id=refund_id,
        payment=payment,
        trabajo_id=payment.trabajo_id,
        mercadopago_payment_id=mercadopago_payment_id,
        amount=amount,
        initiated_by=RefundInitiator.PAYMENTS,
        reason=f"Pago duplicado: el trabajo ya estaba pagado con {payment.mercadopago_payment_id}.",
        status=RefundStatus.REQUESTED,
        next_attempt_at=timezone.now(),
    )
    ledger.post(
        kind=TransactionKind.DUPLICATE_PAYMENT,
        idempotency_key=f"duplicate_payment:{mercadopago_payment_id}",
        trabajo_id=payment.trabajo_id,
        memo=f"Pago duplicado {mercadopago_payment_id}: se devuelve completo",
        lines=[
            ledger.debit(ledger.clearing(), amount),
            ledger.credit(ledger.refund_payable(payment.trabajo_id), amount),
        ],
    )
    dispatch.enqueue_on_commit(dispatch.SEND_REFUND, refund_id)
    log.info(
        "payments.duplicate_refund_reserved", refund_id=str(refund_id), mercadopago_payment_id=mercadopago_payment_id
    )
    return refund


def staff_refund(
    *, trabajo_id: UUID, amount: Decimal | None, requested_by: UUID | None, idempotency_key: str | None = None
) -> Refund:
    """POST /payment/refund: all that is left in escrow, or part of it. A repeated request with the
    same Idempotency-Key answers the same refund; another while one is still on its way is a 400."""
    if amount is not None and (amount <= 0 or amount != amount.quantize(CENT)):
        raise InvalidInput(fields={"amount": ["El monto tiene que ser positivo, con hasta dos decimales."]})
    with transaction.atomic(using=DB):
        payment = locked_payment(trabajo_id)
        if payment is None:
            raise NotFound("No encontramos un pago para ese trabajo.")
        refund_id = uuid.uuid5(_STAFF_NAMESPACE, f"{trabajo_id}:{idempotency_key}") if idempotency_key else uuid.uuid4()
        existing = Refund.objects.filter(pk=refund_id).first()
        if existing is not None:
            if amount is not None and amount != existing.amount:
                raise Conflict("Esa Idempotency-Key ya se usó para otro monto.", code="idempotency_key_reused")
            return existing
        if Refund.objects.filter(trabajo_id=trabajo_id, status=RefundStatus.REQUESTED).exists():
            raise Conflict("Ya hay un reembolso en curso para este trabajo.", code="refund_in_progress")
        ensure_money_movable(payment)
        remaining = ledger.escrow_balance(trabajo_id)
        if remaining <= 0:
            raise Conflict("No queda dinero en garantía para reembolsar.", code="nothing_to_refund")
        return refund_reserve(
            payment,
            refund_id=refund_id,
            amount=remaining if amount is None else amount,
            initiated_by=RefundInitiator.STAFF,
            reason="Reembolso hecho por staff",
            requested_by=requested_by,
        )


# --- the worker's part ----------------------------------------------------------------------------------


def _claim(refund_id: UUID) -> Refund | None:
    """Take a due REQUESTED refund for one attempt (a lease: if this worker dies mid-call, the sweep
    tries again once the lease is over)."""
    trabajo_id = Refund.objects.filter(pk=refund_id).values_list("trabajo_id", flat=True).first()
    if trabajo_id is None:
        return None
    with transaction.atomic(using=DB):
        # The Payment first (the lock order everywhere): a freeze, or its lifting, cannot slip
        # between reading `frozen` here and taking the lease (or holding the refund).
        payment = locked_payment(trabajo_id)
        refund = (
            Refund.objects.select_for_update(skip_locked=True)
            .filter(pk=refund_id, status=RefundStatus.REQUESTED)
            .first()
        )
        if refund is None or not retries.is_due(refund.next_attempt_at):
            return None
        if payment is not None and payment.frozen:
            # A chargeback or mediation came after the reservation: the issuer may already be
            # returning this money. Hold it (not due) until staff lift the freeze.
            retries.hold(refund, reason="Retenido: el pago tiene un contracargo o mediación abierta.")
            return None
        retries.take_lease(refund)
        return refund


def refund_send(refund_id: UUID) -> None:
    refund = _claim(refund_id)
    if refund is None:
        return
    try:
        answer = mercadopago.refund_payment(
            payment_id=refund.mercadopago_payment_id, amount=refund.amount, idempotency_key=refund.idempotency_key
        )
    except MercadoPagoRejected as exc:
        reason = f"MercadoPago rechazó el reembolso ({exc.provider_status}): {exc.provider_body}"
        refund_fail(refund.pk, reason=reason, definitive=True)
        # Often the payment changed under us (refunded in MercadoPago's panel, charged back): read
        # it again, so what MercadoPago did is booked even if no notification follows.
        dispatch.enqueue(dispatch.RESYNC_PAYMENT, refund.mercadopago_payment_id)
        return
    except PaymentProviderUnavailable:
        _retry_later(refund, error="MercadoPago no respondió")
        return
    if answer.status in SUCCEEDED:
        refund_complete(refund.pk, provider_refund_id=answer.id)
    elif answer.status in REFUSED:
        reason = f"MercadoPago respondió el reembolso {answer.id} con estado {answer.status}"
        refund_fail(refund.pk, reason=reason, definitive=True)
    else:  # in process at MercadoPago: ask again later with the same key, which reads the same refund
        _retry_later(refund, error=f"reembolso {answer.id} en estado {answer.status}")


def _retry_later(refund: Refund, *, error: str) -> None:
    if refund.attempts >= settings.PAYOUT_MAX_ATTEMPTS:
        refund_fail(refund.pk, reason=f"{error}; sin éxito tras {refund.attempts} intentos")
        return
    delay = retries.backoff_seconds(refund.attempts)
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
        next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=error, updated_at=timezone.now()
    )
    log.warning("payments.refund_retry", refund_id=str(refund.pk), attempt=refund.attempts, delay=delay, error=error)
    dispatch.enqueue(dispatch.SEND_REFUND, refund.pk, countdown=delay)


def refund_fail(refund_id: UUID, *, reason: str, definitive: bool = False) -> None:
    """FAILED until staff retry; the amount stays reserved. `definitive`: MercadoPago refused it, so
    a retry needs a fresh idempotency key (after a mere timeout it must keep the same one)."""
    with transaction.atomic(using=DB):
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.REQUESTED:
            return
        refund.status = RefundStatus.FAILED
        refund.last_error = reason
        refund.next_attempt_at = None
        refund.refused = definitive
        if definitive:
            refund.send_round += 1
        refund.save(update_fields=["status", "last_error", "next_attempt_at", "send_round", "refused", "updated_at"])
        alerts.alert_raise(
            kind=PaymentAlert.Kind.REFUND_FAILED,
            key=f"refund_failed:{refund_id}:{refund.attempts}",
            trabajo_id=refund.trabajo_id,
            detail=f"El reembolso {refund_id} de {refund.amount} ARS falló: {reason}. Sigue reservado; reintentalo.",
        )


def refund_retry(*, refund_id: UUID) -> Refund:
    """Staff send a FAILED refund again (same id: if it did reach MercadoPago, this reads it back)."""
    with transaction.atomic(using=DB):
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None:
            raise NotFound("No encontramos ese reembolso.")
        if refund.status != RefundStatus.FAILED:
            raise Conflict("Solo se reintenta un reembolso fallido.", code="refund_not_failed")
        refund.status = RefundStatus.REQUESTED
        refund.attempts = 0
        refund.refused = False
        refund.next_attempt_at = timezone.now()
        refund.save(update_fields=["status", "attempts", "refused", "next_attempt_at", "updated_at"])
        dispatch.enqueue_on_commit(dispatch.SEND_REFUND, refund.pk)
        return refund


def refund_complete(refund_id: UUID, *, provider_refund_id: str) -> None:
    """MercadoPago confirmed the refund: the money left our account. Once, whatever retries."""
    with transaction.atomic(using=DB):
        trabajo_id = Refund.objects.values_list("trabajo_id", flat=True).get(pk=refund_id)
        payment = locked_payment(trabajo_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == RefundStatus.COMPLETED:
            return
        ledger.post(
            kind=TransactionKind.REFUND_COMPLETED,
            idempotency_key=f"refund_completed:{refund_id}",
            trabajo_id=trabajo_id,
            memo=f"Reembolso {refund_id} confirmado por MercadoPago ({provider_refund_id})",
            lines=[
                ledger.debit(ledger.refund_payable(trabajo_id), refund.amount),
                ledger.credit(ledger.clearing(), refund.amount),
            ],
        )
        refund.status = RefundStatus.COMPLETED
        refund.provider_refund_id = provider_refund_id
        refund.completed_at = timezone.now()
        refund.next_attempt_at = None
        refund.save(update_fields=["status", "provider_refund_id", "completed_at", "next_attempt_at", "updated_at"])
        remaining = ledger.escrow_balance(trabajo_id)
        if remaining == 0 and not payment.frozen and _fully_refunded(payment):
            payment.status = PaymentStatus.REFUNDED
            payment.save(update_fields=["status", "updated_at"])
        publish(
            Refunded(
                refund_id=refund.pk,
                trabajo_id=trabajo_id,
                cliente_id=payment.cliente_id,
                profesional_id=payment.profesional_id,
                amount=refund.amount,
                remaining_escrow=remaining,
                initiated_by=refund.initiated_by,
            )
        )
    log.info("payments.refund_completed", refund_id=str(refund_id), provider_refund_id=provider_refund_id)


def _fully_refunded(payment: Payment) -> bool:
    # Refunds of the confirmed MercadoPago payment only: a duplicate payment's refund is not its.
    refunded = sum(
        Refund.objects.filter(
            payment=payment, mercadopago_payment_id=payment.mercadopago_payment_id, status=RefundStatus.COMPLETED
        ).values_list("amount", flat=True),
        Decimal("0.00"),
    )
    return refunded >= payment.amount
