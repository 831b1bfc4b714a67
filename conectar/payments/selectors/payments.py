"""Reads of payments for the routes and the facade."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q

from conectar.payments.models import Payment, Payout, Refund
from conectar.shared.errors import NotFound


def payment_for_trabajo(trabajo_id: UUID) -> Payment | None:
    return Payment.objects.filter(trabajo_id=trabajo_id).first()


def payment_for_reader(payment_id: UUID, *, user_id: UUID, is_admin: bool) -> Payment:
    """The payment, if the reader is its client, its professional or staff; 404 otherwise (a
    stranger learns nothing, not even that it exists)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not (is_admin or user_id in (payment.cliente_id, payment.profesional_id)):
        raise NotFound("No encontramos ese pago.")
    return payment


def payments_of(user_id: UUID, *, limit: int, offset: int) -> list[Payment]:
    """Payments where the person is the client or the professional, newest first."""
    query = Payment.objects.filter(Q(cliente_id=user_id) | Q(profesional_id=user_id)).order_by("-created_at", "-pk")
    return list(query[offset : offset + limit])


def refunds_of(payment: Payment) -> list[Refund]:
    return list(payment.refunds.order_by("created_at"))


def payout_of(trabajo_id: UUID) -> Payout | None:
    return Payout.objects.filter(trabajo_id=trabajo_id).first()
