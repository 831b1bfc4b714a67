"""Payouts: the professional's part of a released trabajo, from the platform's account to theirs.

Created by the release (escrow → professional payable) with id `payout_id_for(trabajo_id)`, so a
trabajo has one payout. Sent according to `settings.PAYOUT_PROVIDER`:
- `manual` (default): it waits as PENDING_MANUAL until staff transfer the money themselves and mark
  it paid in the Django admin with the transfer reference.
- `mercadopago`: a worker creates a Money Out transfer with the payout id as idempotency key, so a
  retried call after a timeout is one transfer. A 4xx (an invalid account, say) fails it for good;
  timeouts and 5xx are retried with backoff up to PAYOUT_MAX_ATTEMPTS, then it fails. Failed payouts
  are visible in the admin and can be retried (also `POST /payment/payout`).
Completion posts professional payable → clearing and publishes `PayoutCompleted`, once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conectar.payments.contracts import (
    PaymentFrozen,
    PaymentProviderUnavailable,
    PayoutCompleted,
    PayoutFailed,
    payout_id_for,
)
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.mercadopago.client import MercadoPagoRejected
from conectar.payments.models import Payment, PaymentAlert, Payout, PayoutStatus, TransactionKind
from conectar.payments.services import alerts, dispatch, ledger, retries
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.professionals import facade as professionals
from conectar.shared.errors import Conflict, InvalidInput, NotFound

DB = alias_for("payments")
log = structlog.get_logger(__name__)

MANUAL, MERCADOPAGO = "manual", "mercadopago"
# Money Out transaction-intent states (anything else, e.g. "processing", is read back later).
TRANSFER_SUCCEEDED = {"approved"}
TRANSFER_REFUSED = {"rejected", "cancelled"}
REFERENCE_MAX_LENGTH = 200


def _provider() -> str:
    provider = settings.PAYOUT_PROVIDER
    if provider not in (MANUAL, MERCADOPAGO):
        raise RuntimeError(f"PAYOUT_PROVIDER must be {MANUAL} or {MERCADOPAGO}, not {provider!r}")
    return provider


def _destination(profesional_id: UUID) -> str:
    """The professional's payout account, asked of the professionals context: never while a
    transaction or lock is open here."""
    return professionals.payout_account(usuario_id=profesional_id) or ""


def payout_destination(payout: Payout) -> str:
    """Where the payout goes: the account it was sent to, else the professional's current one
    (what staff transfer to by hand)."""
    return payout.destination or _destination(payout.profesional_id)


def payout_create(*, trabajo_id: UUID, profesional_id: UUID, amount: Decimal) -> Payout:
    """Inside the release's transaction (the Payment lock held). Idempotent by trabajo. The
    destination is read when the payout is sent (or shown to staff), outside any lock."""
    payout_id = payout_id_for(trabajo_id)
    existing = Payout.objects.filter(pk=payout_id).first()
    if existing is not None:
        return existing
    provider = _provider()
    payout = Payout.objects.create(
        id=payout_id,
        trabajo_id=trabajo_id,
        profesional_id=profesional_id,
        amount=amount,
        provider=provider,
        status=PayoutStatus.PENDING_MANUAL if provider == MANUAL else PayoutStatus.PENDING,
        next_attempt_at=None if provider == MANUAL else timezone.now(),
    )
    if provider == MERCADOPAGO:
        dispatch.enqueue_on_commit(dispatch.SEND_PAYOUT, payout.pk)
    log.info("payments.payout_created", payout_id=str(payout.pk), provider=provider, amount=str(amount))
    return payout


# --- the worker's part ----------------------------------------------------------------------------------


def _claim(payout_id: UUID) -> Payout | None:
    trabajo_id = Payout.objects.filter(pk=payout_id).values_list("trabajo_id", flat=True).first()
    if trabajo_id is None:
        return None
    with transaction.atomic(using=DB):
        # The Payment first (the lock order everywhere): a freeze, or its lifting, cannot slip
        # between reading `frozen` here and taking the lease (or holding the payout).
        payment = Payment.objects.select_for_update().filter(trabajo_id=trabajo_id).first()
        payout = (
            Payout.objects.select_for_update(skip_locked=True)
            .filter(pk=payout_id, status__in=[PayoutStatus.PENDING, PayoutStatus.SENT])
            .first()
        )
        if payout is None or not retries.is_due(payout.next_attempt_at):
            return None
        if payment is not None and payment.frozen and not payout.reference:
            # Nothing sent yet and a chargeback or mediation is open: hold it until staff unfreeze.
            retries.hold(payout, reason="Retenida: el pago del trabajo tiene un contracargo o mediación abierta.")
            return None
        retries.take_lease(payout)
        return payout


def payout_send(payout_id: UUID) -> None:
    """One attempt: create the transfer (PENDING) or read it back (SENT, waiting for MercadoPago)."""
    payout = _claim(payout_id)
    if payout is None:
        return
    try:
        if payout.status == PayoutStatus.SENT:
            intent = mercadopago.get_transfer(payout.reference)
            if intent is None:
                reason = f"MercadoPago no conoce la transferencia {payout.reference}"
                _fail(payout.pk, reason=reason, definitive=True)
                return
        else:
            destination = payout.destination or _destination(payout.profesional_id)
            if not destination:
                _fail(payout.pk, reason="El profesional no cargó su cuenta de cobro (CBU, CVU o alias).")
                return
            # Staff see the account the transfer was asked for, whatever the professional sets later.
            Payout.objects.filter(pk=payout.pk, destination="").update(destination=destination)
            intent = mercadopago.create_transfer(
                idempotency_key=payout.idempotency_key,
                amount=payout.amount,
                destination_account=destination,
                description=f"Conectar · trabajo {payout.trabajo_id}",
                external_reference=payout.idempotency_key,
            )
    except MercadoPagoRejected as exc:
        reason = f"MercadoPago rechazó la transferencia ({exc.provider_status}): {exc.provider_body}"
        _fail(payout.pk, reason=reason, definitive=True)
        return
    except PaymentProviderUnavailable:
        _retry_later(payout, error="MercadoPago no respondió")
        return
    if intent.status in TRANSFER_SUCCEEDED:
        payout_complete(payout_id=payout.pk, reference=intent.id)
    elif intent.status in TRANSFER_REFUSED:
        _fail(payout.pk, reason=f"La transferencia {intent.id} terminó en estado {intent.status}", definitive=True)
    else:
        _mark_sent(payout, intent_id=intent.id, status=intent.status)


def _mark_sent(payout: Payout, *, intent_id: str, status: str) -> None:
    """MercadoPago accepted the transfer but has not finished it: read it back later."""
    if payout.attempts >= settings.PAYOUT_MAX_ATTEMPTS * 3:
        _fail(payout.pk, reason=f"La transferencia {intent_id} sigue en estado {status}; revisala en MercadoPago")
        return
    delay = retries.backoff_seconds(payout.attempts)
    Payout.objects.filter(pk=payout.pk, status__in=[PayoutStatus.PENDING, PayoutStatus.SENT]).update(
        status=PayoutStatus.SENT,
        reference=intent_id,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        updated_at=timezone.now(),
    )
    dispatch.enqueue(dispatch.SEND_PAYOUT, payout.pk, countdown=delay)


def _retry_later(payout: Payout, *, error: str) -> None:
    if payout.attempts >= settings.PAYOUT_MAX_ATTEMPTS:
        _fail(payout.pk, reason=f"{error}; sin éxito tras {payout.attempts} intentos")
        return
    delay = retries.backoff_seconds(payout.attempts)
    Payout.objects.filter(pk=payout.pk, status__in=[PayoutStatus.PENDING, PayoutStatus.SENT]).update(
        next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=error, updated_at=timezone.now()
    )
    log.warning("payments.payout_retry", payout_id=str(payout.pk), attempt=payout.attempts, delay=delay, error=error)
    dispatch.enqueue(dispatch.SEND_PAYOUT, payout.pk, countdown=delay)


def _fail(payout_id: UUID, *, reason: str, definitive: bool = False) -> None:
    """FAILED for good, until staff retry. `definitive`: MercadoPago refused it (not a mere timeout),
    so a retry needs a fresh idempotency key or MercadoPago would answer the same refusal."""
    with transaction.atomic(using=DB):
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status not in (PayoutStatus.PENDING, PayoutStatus.SENT):
            return
        payout.status = PayoutStatus.FAILED
        payout.last_error = reason
        payout.next_attempt_at = None
        if definitive:
            payout.send_round += 1
        payout.save(update_fields=["status", "last_error", "next_attempt_at", "send_round", "updated_at"])
        publish(
            PayoutFailed(
                payout_id=payout.pk,
                trabajo_id=payout.trabajo_id,
                profesional_id=payout.profesional_id,
                amount=payout.amount,
                reason=reason,
            )
        )
        alerts.alert_raise(
            kind=PaymentAlert.Kind.PAYOUT_FAILED,
            key=f"payout_failed:{payout.pk}:{payout.attempts}",
            trabajo_id=payout.trabajo_id,
            detail=f"La transferencia {payout.pk} de {payout.amount} ARS falló: {reason}",
        )
    log.warning("payments.payout_failed", payout_id=str(payout_id), reason=reason)


# --- completion and staff actions -----------------------------------------------------------------------


def payout_complete(*, payout_id: UUID, reference: str, by: UUID | None = None) -> Payout:
    """The money reached the professional (MercadoPago confirmed the transfer, or staff made it).
    Posts payable → clearing and publishes PayoutCompleted, once."""
    reference = " ".join((reference or "").split())[:REFERENCE_MAX_LENGTH]
    if not reference:
        raise InvalidInput(fields={"reference": ["Indicá la referencia de la transferencia."]})
    with transaction.atomic(using=DB):
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None:
            raise NotFound("No encontramos esa transferencia.")
        if payout.status == PayoutStatus.COMPLETED:
            return payout
        if by is not None and Payment.objects.filter(trabajo_id=payout.trabajo_id, frozen=True).exists():
            raise PaymentFrozen
        ledger.post(
            kind=TransactionKind.PAYOUT_COMPLETED,
            idempotency_key=f"payout_completed:{payout.pk}",
            trabajo_id=payout.trabajo_id,
            memo=f"Transferencia {payout.pk} al profesional ({reference})",
            lines=[
                ledger.debit(ledger.professional_payable(payout.profesional_id), payout.amount),
                ledger.credit(ledger.clearing(), payout.amount),
            ],
        )
        payout.status = PayoutStatus.COMPLETED
        payout.reference = reference
        payout.completed_at = timezone.now()
        payout.completed_by = by
        payout.next_attempt_at = None
        payout.save(
            update_fields=["status", "reference", "completed_at", "completed_by", "next_attempt_at", "updated_at"]
        )
        publish(
            PayoutCompleted(
                payout_id=payout.pk,
                trabajo_id=payout.trabajo_id,
                profesional_id=payout.profesional_id,
                amount=payout.amount,
                reference=reference,
            )
        )
    log.info("payments.payout_completed", payout_id=str(payout_id), reference=reference)
    return payout


def payout_mark_paid(*, payout_id: UUID, reference: str, by: UUID) -> Payout:
    """Staff transferred the money themselves (manual provider, or after a failed automatic one)."""
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None:
        raise NotFound("No encontramos esa transferencia.")
    if payout.status in (PayoutStatus.PENDING, PayoutStatus.SENT) and payout.provider == MERCADOPAGO:
        raise Conflict(
            "MercadoPago está procesando esta transferencia; esperá su resultado.", code="payout_in_progress"
        )
    return payout_complete(payout_id=payout_id, reference=reference, by=by)


def payout_retry(*, trabajo_id: UUID) -> Payout:
    """Send a FAILED payout again, with the provider configured now and the professional's current
    payout account (they may just have fixed it; read before anything is locked)."""
    unlocked = Payout.objects.filter(trabajo_id=trabajo_id).first()
    destination = _destination(unlocked.profesional_id) if unlocked is not None else ""
    with transaction.atomic(using=DB):
        payout = Payout.objects.select_for_update().filter(trabajo_id=trabajo_id).first()
        if payout is None:
            raise NotFound("Este trabajo no tiene una transferencia al profesional.")
        if payout.status != PayoutStatus.FAILED:
            raise Conflict("Solo se reintenta una transferencia fallida.", code="payout_not_failed")
        if Payment.objects.filter(trabajo_id=trabajo_id, frozen=True).exists():
            raise PaymentFrozen
        provider = _provider()
        payout.provider = provider
        payout.destination = destination or payout.destination
        payout.status = PayoutStatus.PENDING_MANUAL if provider == MANUAL else PayoutStatus.PENDING
        payout.attempts = 0
        payout.reference = ""
        payout.next_attempt_at = None if provider == MANUAL else timezone.now()
        payout.save(
            update_fields=[
                "provider",
                "destination",
                "status",
                "attempts",
                "reference",
                "next_attempt_at",
                "updated_at",
            ]
        )
        if provider == MERCADOPAGO:
            dispatch.enqueue_on_commit(dispatch.SEND_PAYOUT, payout.pk)
        return payout
