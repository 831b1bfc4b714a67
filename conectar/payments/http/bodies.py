"""Response bodies of the payments routes (money as string decimals, ids as strings)."""

from __future__ import annotations

from conectar.payments.models import Payment, Payout, Refund
from conectar.payments.services import ledger
from conectar.shared.money import format_money


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def payment_body(payment: Payment) -> dict:
    return {
        "id": str(payment.pk),
        "payment_id": str(payment.pk),
        "trabajo_id": str(payment.trabajo_id),
        "cliente_id": str(payment.cliente_id),
        "profesional_id": str(payment.profesional_id),
        "amount": format_money(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "preference_id": payment.preference_id,
        "payment_url": payment.payment_url,
        "mercadopago_payment_id": payment.mercadopago_payment_id or None,
        "mercadopago_status": payment.mercadopago_status or None,
        "status_detail": payment.status_detail or None,
        "amount_mismatch": payment.amount_mismatch,
        "frozen": payment.frozen,
        "approved_at": _iso(payment.approved_at),
        "created_at": _iso(payment.created_at),
        "updated_at": _iso(payment.updated_at),
    }


def refund_body(refund: Refund) -> dict:
    return {
        "refund_id": str(refund.pk),
        "trabajo_id": str(refund.trabajo_id),
        "amount": format_money(refund.amount),
        "status": refund.status,
        "initiated_by": refund.initiated_by,
        "created_at": _iso(refund.created_at),
        "completed_at": _iso(refund.completed_at),
    }


def payout_body(payout: Payout) -> dict:
    return {
        "payout_id": str(payout.pk),
        "trabajo_id": str(payout.trabajo_id),
        "profesional_id": str(payout.profesional_id),
        "amount": format_money(payout.amount),
        "provider": payout.provider,
        "status": payout.status,
        "reference": payout.reference or None,
        "last_error": payout.last_error or None,
        "created_at": _iso(payout.created_at),
        "completed_at": _iso(payout.completed_at),
    }


def payment_detail_body(payment: Payment, *, refunds: list[Refund], payout: Payout | None) -> dict:
    return {
        **payment_body(payment),
        "escrow_balance": format_money(ledger.escrow_balance(payment.trabajo_id)),
        "refunds": [refund_body(r) for r in refunds],
        "payout": payout_body(payout) if payout else None,
    }
