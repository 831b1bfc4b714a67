"""Checkout: a MercadoPago Checkout Pro preference for a trabajo, and its retry.

The preference is created BEFORE anything is stored: if MercadoPago is down the caller gets
`PaymentProviderUnavailable` (503) and no Payment row exists, so the marketplace can roll its own
transaction back with nothing half-done here. The call carries the idempotency key (trabajo,
attempt): a repeated or concurrent call for the same attempt gets the same preference back from
MercadoPago, and the unique trabajo id keeps one Payment row; a retry (`checkout_retry`) is the
next attempt, i.e. a new preference on the same row.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from conectar.payments.contracts import CheckoutDTO, PaymentCreated, PaymentStatus
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.models import Payment
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import Conflict, InvalidInput, NotFound
from conectar.shared.money import CENT

DB = alias_for("payments")
log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/api/v1/payment/webhook/mercadopago"
TITLE_MAX_LENGTH = 200
# A new checkout may replace one that was not paid (or whose payer was refused).
RETRYABLE = (PaymentStatus.PENDING, PaymentStatus.REJECTED)


def _idempotency_key(trabajo_id: UUID, attempt: int) -> str:
    return f"checkout:{trabajo_id}:{attempt}"


def _back_urls(trabajo_id: UUID) -> dict[str, str]:
    base = f"{settings.FRONTEND_URL}/cliente/trabajos/{trabajo_id}?pago="
    return {"success": base + "exito", "failure": base + "fallo", "pending": base + "pendiente"}


def _create_preference(*, trabajo_id: UUID, attempt: int, title: str, amount: Decimal, payer_email: str | None):
    expires_at = timezone.now() + timedelta(hours=settings.PAYMENT_EXPIRY_HOURS)
    preference = mercadopago.create_preference(
        idempotency_key=_idempotency_key(trabajo_id, attempt),
        external_reference=str(trabajo_id),
        title=title,
        amount=amount,
        payer_email=payer_email or None,
        notification_url=settings.PUBLIC_API_URL + WEBHOOK_PATH,
        back_urls=_back_urls(trabajo_id),
        expires_at=expires_at,
        statement_descriptor=settings.MERCADOPAGO_STATEMENT_DESCRIPTOR,
    )
    return preference, expires_at


def to_checkout(payment: Payment) -> CheckoutDTO:
    return CheckoutDTO(
        payment_id=payment.pk,
        trabajo_id=payment.trabajo_id,
        preference_id=payment.preference_id,
        payment_url=payment.payment_url,
    )


def _validated_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidInput(fields={"amount": ["El monto tiene que ser positivo, en pesos con hasta dos decimales."]})
    return amount


def checkout_create(
    *, trabajo_id: UUID, cliente_id: UUID, profesional_id: UUID, payer_email: str | None, title: str, amount: Decimal
) -> CheckoutDTO:
    """The trabajo's checkout: created now, or the existing one when this trabajo already has a live
    checkout for the same amount (a repeated call, e.g. the marketplace retrying its accept)."""
    amount = _validated_amount(amount)
    title = " ".join((title or "").split())[:TITLE_MAX_LENGTH] or "Trabajo"
    existing = Payment.objects.filter(trabajo_id=trabajo_id).first()
    if existing is not None:
        return _existing_checkout(existing, cliente_id=cliente_id, amount=amount)

    preference, expires_at = _create_preference(
        trabajo_id=trabajo_id, attempt=1, title=title, amount=amount, payer_email=payer_email
    )
    try:
        with transaction.atomic(using=DB):
            payment = Payment.objects.create(
                trabajo_id=trabajo_id,
                cliente_id=cliente_id,
                profesional_id=profesional_id,
                payer_email=payer_email or "",
                title=title,
                amount=amount,
                attempt=1,
                preference_id=preference.id,
                payment_url=preference.init_point,
                preference_expires_at=expires_at,
            )
            publish(
                PaymentCreated(
                    payment_id=payment.pk,
                    trabajo_id=trabajo_id,
                    cliente_id=cliente_id,
                    profesional_id=profesional_id,
                    amount=amount,
                    preference_id=preference.id,
                )
            )
    except IntegrityError:
        # A concurrent call for the same trabajo stored it first (same key: same preference).
        return _existing_checkout(Payment.objects.get(trabajo_id=trabajo_id), cliente_id=cliente_id, amount=amount)
    log.info("payments.checkout_created", trabajo_id=str(trabajo_id), payment_id=str(payment.pk))
    return to_checkout(payment)


def _existing_checkout(payment: Payment, *, cliente_id: UUID, amount: Decimal) -> CheckoutDTO:
    if payment.cliente_id != cliente_id or payment.amount != amount:
        raise Conflict("Este trabajo ya tiene un pago con otros datos.", code="payment_exists")
    if payment.status not in RETRYABLE:
        raise Conflict("Este trabajo ya no admite un nuevo pago.", code="payment_not_retryable")
    return to_checkout(payment)


def checkout_retry(*, trabajo_id: UUID, cliente_id: UUID) -> CheckoutDTO:
    """A new preference for a trabajo whose payment is still owed (POST /payment/create).

    Lock-free: read attempt n, create attempt n+1's preference (same key for everyone doing this
    now), then store it only if the row is still at attempt n. A double click therefore makes one
    new preference, and both clicks answer it."""
    payment = Payment.objects.filter(trabajo_id=trabajo_id, cliente_id=cliente_id).first()
    if payment is None:
        raise NotFound("No encontramos un pago para ese trabajo.")
    if payment.status not in RETRYABLE or payment.frozen:
        raise Conflict("El pago de este trabajo ya no se puede reintentar.", code="payment_not_retryable")
    attempt = payment.attempt + 1
    preference, expires_at = _create_preference(
        trabajo_id=trabajo_id,
        attempt=attempt,
        title=payment.title,
        amount=payment.amount,
        payer_email=payment.payer_email,
    )
    with transaction.atomic(using=DB):
        updated = Payment.objects.filter(pk=payment.pk, attempt=payment.attempt, status__in=RETRYABLE).update(
            status=PaymentStatus.PENDING,  # a new chance to pay after a refused card
            attempt=attempt,
            preference_id=preference.id,
            payment_url=preference.init_point,
            preference_expires_at=expires_at,
            updated_at=timezone.now(),
        )
        if updated:
            publish(
                PaymentCreated(
                    payment_id=payment.pk,
                    trabajo_id=trabajo_id,
                    cliente_id=payment.cliente_id,
                    profesional_id=payment.profesional_id,
                    amount=payment.amount,
                    preference_id=preference.id,
                )
            )
    current = Payment.objects.get(pk=payment.pk)
    if not updated and current.status not in RETRYABLE:
        raise Conflict("El pago de este trabajo ya no se puede reintentar.", code="payment_not_retryable")
    return to_checkout(current)
