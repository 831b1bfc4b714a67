"""Applying what MercadoPago says of one of its payments (read from its API, never from a webhook
body) to our Payment, the ledger and the events.

MercadoPago's notifications arrive late, twice, or out of order; this function therefore decides from
the state it reads, not from the order of arrival. It runs under the trabajo's Payment lock, and
each effect is keyed: the receipt posts once (`payment_received:<trabajo>`), a status seen before
for the same MercadoPago payment publishes nothing again, a provider refund is keyed by the
refunded total it brings us up to. Ten concurrent deliveries of one approval: one confirmation.

Per MercadoPago status of the payment read:
- approved, first time, right amount → escrow receipt, APPROVED, PaymentConfirmed.
- approved with another amount or currency → flagged (amount_mismatch) and a staff alert; nothing
  confirmed (the marketplace keeps waiting; staff refund it or sort it out).
- approved for a trabajo cancelled unpaid → taken into escrow, confirmed (the marketplace records
  the late payment) and refunded at once, whether or not the marketplace also asks for it.
- approved for a trabajo already paid by another MercadoPago payment → a staff alert (double pay).
- rejected / cancelled, while unpaid → REJECTED, PaymentFailed (the trabajo stays payable).
- charged_back / in_mediation of the confirmed payment → frozen, ChargebackOpened, staff alert.
- approved again after charged_back / in_mediation → the case was won: the freeze is lifted and
  what it held goes on (services/freeze.py).
- refunded, or approved with a refunded amount, of the confirmed payment → whatever MercadoPago
  refunded beyond the refunds we asked for is a provider refund: booked and published.
- pending / in_process / authorized → recorded, nothing else.
A status of a payment other than the confirmed one after confirmation (a late `rejected` of an
earlier card attempt) changes nothing, nor does `pending` after `approved`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from conectar.payments.contracts import (
    ChargebackOpened,
    PaymentConfirmed,
    PaymentFailed,
    PaymentStatus,
    refund_id_for,
)
from conectar.payments.mercadopago.client import MPPayment
from conectar.payments.mercadopago.reasons import failure_reason
from conectar.payments.models import (
    Payment,
    PaymentAlert,
    ProviderPayment,
    Refund,
    RefundInitiator,
    RefundStatus,
    TransactionKind,
)
from conectar.payments.services import alerts, freeze, ledger, money_returned, refunds
from conectar.payments.services.payments import is_confirmed, locked_payment
from conectar.platform.databases import alias_for
from conectar.platform.events import publish

DB = alias_for("payments")
log = structlog.get_logger(__name__)

CURRENCY = "ARS"
APPROVED = "approved"
FAILED = {"rejected", "cancelled"}
DISPUTED = {"charged_back": PaymentStatus.CHARGED_BACK, "in_mediation": PaymentStatus.IN_MEDIATION}
REFUNDED = "refunded"
_PROVIDER_REFUND_NAMESPACE = uuid.UUID("0b6f3f0e-8d0a-4a2c-b7f5-5d1c1e9e4a61")


def _trabajo_id(external_reference: str | None) -> UUID | None:
    try:
        return UUID(str(external_reference))
    except ValueError:
        return None


def payment_sync(mp: MPPayment) -> str:
    """Apply MercadoPago's current view of payment `mp`; returns what happened (for logs/records)."""
    trabajo_id = _trabajo_id(mp.external_reference)
    if trabajo_id is None:
        log.warning("payments.sync_ignored", mercadopago_payment_id=mp.id, reason="external_reference")
        return "ignorado: sin referencia a un trabajo"
    with transaction.atomic(using=DB):
        payment = locked_payment(trabajo_id)
        if payment is None:
            if mp.status == APPROVED:
                alerts.alert_raise(
                    kind=PaymentAlert.Kind.UNEXPECTED_PAYMENT,
                    key=f"unexpected:{mp.id}",
                    trabajo_id=trabajo_id,
                    detail=f"MercadoPago aprobó el pago {mp.id} ({mp.transaction_amount}) de un trabajo sin checkout.",
                )
            log.warning("payments.sync_ignored", mercadopago_payment_id=mp.id, reason="unknown trabajo")
            return "ignorado: trabajo desconocido"
        previous = _observe(payment, mp)
        outcome = _apply(payment, mp, previous_status=previous)
    log.info("payments.synced", trabajo_id=str(trabajo_id), mercadopago_payment_id=mp.id, outcome=outcome)
    return outcome


def _observe(payment: Payment, mp: MPPayment) -> str | None:
    """Record the reading; return the status this MercadoPago payment had before (None: first seen)."""
    seen = ProviderPayment.objects.select_for_update().filter(pk=mp.id).first()
    previous = seen.status if seen else None
    values = {
        "payment": payment,
        "status": mp.status,
        "status_detail": mp.status_detail[:120],
        "amount": mp.transaction_amount,
        "amount_refunded": mp.transaction_amount_refunded,
        "currency": mp.currency_id[:3],
        "last_seen_at": timezone.now(),
    }
    if seen is None:
        ProviderPayment.objects.create(mercadopago_payment_id=mp.id, **values)
    else:
        ProviderPayment.objects.filter(pk=mp.id).update(**values)
    return previous


def _apply(payment: Payment, mp: MPPayment, *, previous_status: str | None) -> str:  # noqa: PLR0911
    changed = previous_status != mp.status
    if is_confirmed(payment):
        if mp.id != payment.mercadopago_payment_id:
            if mp.status == APPROVED:
                refunds.duplicate_refund_reserve(payment, mercadopago_payment_id=mp.id, amount=mp.transaction_amount)
                _alert_double_payment(payment, mp)
                return "segundo pago aprobado: se devuelve completo"
            return "sin cambios: otro pago de MercadoPago"
        return _apply_to_confirmed(payment, mp, changed=changed)
    if mp.status == APPROVED:
        return _approve(payment, mp)
    if mp.status in FAILED:
        return _fail(payment, mp, changed=changed)
    if mp.status in DISPUTED or mp.status == REFUNDED:
        # Money came and is (being) returned before we ever confirmed it: nothing held here.
        _record(payment, mp)
        if mp.status in DISPUTED:
            _alert_chargeback(payment, mp)
        return f"registrado: {mp.status} sin confirmación previa"
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.REJECTED):
        _record(payment, mp)
    return f"sin cambios: {mp.status}"


def _record(payment: Payment, mp: MPPayment) -> None:
    payment.mercadopago_payment_id = mp.id
    payment.mercadopago_status = mp.status
    payment.status_detail = mp.status_detail[:120]
    payment.save(update_fields=["mercadopago_payment_id", "mercadopago_status", "status_detail", "updated_at"])


def _approve(payment: Payment, mp: MPPayment) -> str:
    if mp.transaction_amount != payment.amount or mp.currency_id != CURRENCY:
        payment.amount_mismatch = True
        _record(payment, mp)
        payment.save(update_fields=["amount_mismatch", "updated_at"])
        alerts.alert_raise(
            kind=PaymentAlert.Kind.AMOUNT_MISMATCH,
            key=f"amount_mismatch:{mp.id}",
            trabajo_id=payment.trabajo_id,
            detail=(
                f"MercadoPago aprobó el pago {mp.id} por {mp.transaction_amount} {mp.currency_id}; "
                f"se esperaban {payment.amount} {CURRENCY}. No se confirmó."
            ),
        )
        return "alerta: monto distinto, no confirmado"
    cancelled_before = payment.status == PaymentStatus.CANCELLED
    ledger.post(
        kind=TransactionKind.PAYMENT_RECEIVED,
        idempotency_key=f"payment_received:{payment.trabajo_id}",
        trabajo_id=payment.trabajo_id,
        memo=f"Pago {mp.id} de MercadoPago",
        lines=[
            ledger.debit(ledger.clearing(), payment.amount),
            ledger.credit(ledger.escrow(payment.trabajo_id), payment.amount),
        ],
    )
    payment.status = PaymentStatus.APPROVED
    payment.approved_at = timezone.now()
    payment.mercadopago_payment_id = mp.id
    payment.mercadopago_status = mp.status
    payment.status_detail = mp.status_detail[:120]
    payment.save()
    publish(  # also for a late payment: the marketplace records it and asks for the refund too
        PaymentConfirmed(
            payment_id=payment.pk,
            trabajo_id=payment.trabajo_id,
            cliente_id=payment.cliente_id,
            profesional_id=payment.profesional_id,
            amount=payment.amount,
            mercadopago_payment_id=mp.id,
        )
    )
    if cancelled_before:
        _refund_late_payment(payment, mp)
        return "pago tardío de un trabajo cancelado: reembolsado"
    _book_provider_refunds(payment, mp)  # notifications were lost and it was partly refunded since
    return "confirmado"


def _refund_late_payment(payment: Payment, mp: MPPayment) -> None:
    refunds.refund_reserve(
        payment,
        refund_id=refund_id_for(payment.trabajo_id),
        amount=payment.amount,
        initiated_by=RefundInitiator.PAYMENTS,
        reason="El pago llegó después de que el trabajo se canceló sin pagar.",
    )
    alerts.alert_raise(
        kind=PaymentAlert.Kind.LATE_PAYMENT,
        key=f"late_payment:{mp.id}",
        trabajo_id=payment.trabajo_id,
        detail=f"El pago {mp.id} llegó con el trabajo ya cancelado: se reembolsa completo.",
    )


def _fail(payment: Payment, mp: MPPayment, *, changed: bool) -> str:
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.REJECTED) or not changed:
        return f"sin cambios: {mp.status}"
    payment.status = PaymentStatus.REJECTED
    _record(payment, mp)
    payment.save(update_fields=["status", "updated_at"])
    publish(
        PaymentFailed(
            payment_id=payment.pk,
            trabajo_id=payment.trabajo_id,
            cliente_id=payment.cliente_id,
            profesional_id=payment.profesional_id,
            mercadopago_payment_id=mp.id,
            status=mp.status,
            reason=failure_reason(mp.status, mp.status_detail),  # the provider's code stays here
        )
    )
    return "rechazado"


def _apply_to_confirmed(payment: Payment, mp: MPPayment, *, changed: bool) -> str:
    payment.mercadopago_status = mp.status
    payment.status_detail = mp.status_detail[:120]
    outcome = f"sin cambios: {mp.status}"
    if mp.status in DISPUTED:
        payment.status = DISPUTED[mp.status]
        if changed:  # only on entering it: a repeated reading must not undo staff lifting the freeze
            payment.frozen = True
            publish(
                ChargebackOpened(
                    payment_id=payment.pk,
                    trabajo_id=payment.trabajo_id,
                    cliente_id=payment.cliente_id,
                    profesional_id=payment.profesional_id,
                    mercadopago_payment_id=mp.id,
                    status=mp.status,
                )
            )
            _alert_chargeback(payment, mp)
            outcome = f"congelado: {mp.status}"
    elif mp.status == REFUNDED:
        payment.status = PaymentStatus.REFUNDED
    elif mp.status == APPROVED and payment.status in DISPUTED.values():
        # The chargeback or mediation was decided for us: MercadoPago holds the money again. The
        # freeze goes, and what it held (a release, a payout, a refund) goes on now.
        payment.status = PaymentStatus.APPROVED
        payment.save()  # before what the freeze held runs: it reads the payment afresh
        if payment.frozen:
            freeze.freeze_lift(payment)
            outcome = "contracargo ganado: congelamiento levantado"
    payment.save()
    booked = _book_provider_refunds(payment, mp)
    return f"reembolso externo de {booked}" if booked else outcome


def _book_provider_refunds(payment: Payment, mp: MPPayment) -> Decimal:
    """MercadoPago's refunded total minus every refund we asked for (done, on its way, or failed in a
    way that may have reached MercadoPago) and every provider refund already booked: what someone
    refunded in MercadoPago directly. It comes out of the escrow; whatever exceeds the escrow
    (refunded after release) is a loss for the platform. A refund of ours still on its way may hide
    a provider refund for a moment; MercadoPago notifies again when ours lands, and this recounts."""
    ours = sum(
        Refund.objects.filter(payment=payment, mercadopago_payment_id=mp.id)
        .exclude(status=RefundStatus.FAILED, refused=True)
        .exclude(status=RefundStatus.CANCELLED)
        .values_list("amount", flat=True),
        Decimal("0.00"),
    )
    extra = mp.transaction_amount_refunded - ours
    if extra <= 0:
        return Decimal("0.00")
    # Keyed by the state it reconciles (MercadoPago's total, what we had accounted for): the same
    # reading books once; a later one (say, after a refund of ours was refused) books the rest.
    refund_id = uuid.uuid5(_PROVIDER_REFUND_NAMESPACE, f"{mp.id}:{mp.transaction_amount_refunded}:{ours}")
    if Refund.objects.filter(pk=refund_id).exists():
        return Decimal("0.00")
    from_escrow = money_returned.book(
        payment,
        mercadopago_payment_id=mp.id,
        amount=extra,
        refund_id=refund_id,
        kind=TransactionKind.PROVIDER_REFUND,
        idempotency_key=f"provider_refund:{refund_id}",
        reason="Reembolso hecho directamente en MercadoPago",
        memo=f"Reembolso de {extra} hecho en MercadoPago sobre el pago {mp.id}",
    )
    detail = f"Se reembolsaron {extra} ARS del pago {mp.id} directamente en MercadoPago."
    if extra > from_escrow:
        detail += f" {extra - from_escrow} ARS ya se habían liberado: quedan como pérdida."
    alerts.alert_raise(
        kind=PaymentAlert.Kind.PROVIDER_REFUND,
        key=f"provider_refund:{refund_id}",
        trabajo_id=payment.trabajo_id,
        detail=detail,
    )
    return extra


def _alert_chargeback(payment: Payment, mp: MPPayment) -> None:
    alerts.alert_raise(
        kind=PaymentAlert.Kind.CHARGEBACK,
        key=f"chargeback:{mp.id}:{mp.status}",
        trabajo_id=payment.trabajo_id,
        detail=f"El pago {mp.id} está en {mp.status}: liberación, transferencias y reembolsos congelados.",
    )


def _alert_double_payment(payment: Payment, mp: MPPayment) -> None:
    alerts.alert_raise(
        kind=PaymentAlert.Kind.UNEXPECTED_PAYMENT,
        key=f"double_payment:{mp.id}",
        trabajo_id=payment.trabajo_id,
        detail=(
            f"MercadoPago aprobó otro pago ({mp.id}, {mp.transaction_amount}) para un trabajo ya pagado con "
            f"{payment.mercadopago_payment_id}: se le devuelve completo al pagador (Reembolsos)."
        ),
    )
