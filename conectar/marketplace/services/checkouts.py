"""A trabajo's MercadoPago checkout, asked of payments after the trabajo is committed.

The saga of DOMAIN.md § Oferta: the acceptance and the trabajo commit first (marketplace database,
oferta row locked only for that); then, with no transaction or lock open, payments creates the
checkout under the trabajo's id as idempotency key; then the trabajo records it. When MercadoPago
cannot be reached, the trabajo waits in PENDIENTE_PAGO and the client makes the checkout later
(`POST /payment/create`): the same call, so a checkout created whose recording was lost is found
again instead of duplicated."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from conectar.auth_ctx import facade as accounts
from conectar.marketplace.contracts import EstadoEscrow
from conectar.marketplace.models import Trabajo
from conectar.payments import facade as payments
from conectar.payments.contracts import CheckoutDTO
from conectar.platform.databases import alias_for
from conectar.shared.errors import Conflict, NotFound

DB = alias_for("marketplace")


def checkout_open(trabajo: Trabajo, *, payer_email: str | None) -> CheckoutDTO:
    """The trabajo's checkout: created now, or the one payments already holds for it. Raises
    PaymentProviderUnavailable (503) while MercadoPago cannot be reached. Call with no transaction open."""
    checkout = payments.checkout_create(
        trabajo_id=trabajo.pk,
        cliente_id=trabajo.cliente_id,
        profesional_id=trabajo.profesional_id,
        payer_email=payer_email,
        title=f"Trabajo: {trabajo.descripcion}"[:250],
        amount=trabajo.precio_final,
    )
    _record(trabajo, checkout)
    return checkout


def checkout_reopen(*, trabajo_id: UUID, cliente_id: UUID) -> CheckoutDTO:
    """`POST /payment/create`: a checkout for the client's unpaid trabajo — the first one when
    accepting could not make it, else a new preference replacing one that was not paid."""
    trabajo = Trabajo.objects.filter(pk=trabajo_id, cliente_id=cliente_id).first()
    if trabajo is None:
        raise NotFound("No encontramos ese trabajo.")
    if trabajo.estado != EstadoEscrow.PENDIENTE_PAGO:
        raise Conflict(f"El trabajo está {trabajo.estado}: no espera un pago.", code="payment_not_retryable")
    if trabajo.payment_id is None:
        payer = accounts.get_account(user_id=cliente_id)
        return checkout_open(trabajo, payer_email=payer.email if payer else None)
    checkout = payments.checkout_retry(trabajo_id=trabajo.pk, cliente_id=cliente_id)
    _record(trabajo, checkout)
    return checkout


def _record(trabajo: Trabajo, checkout: CheckoutDTO) -> None:
    with transaction.atomic(using=DB):
        Trabajo.objects.filter(pk=trabajo.pk).update(
            payment_id=checkout.payment_id,
            payment_preference_id=checkout.preference_id,
            payment_url=checkout.payment_url,
        )
    trabajo.payment_id = checkout.payment_id
    trabajo.payment_preference_id = checkout.preference_id
    trabajo.payment_url = checkout.payment_url
