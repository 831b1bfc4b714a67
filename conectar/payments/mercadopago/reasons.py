"""MercadoPago's words for a failed payment, translated into the domain's PaymentFailureReason at
this adapter's edge: events and other contexts never see the provider's codes."""

from __future__ import annotations

from conectar.payments.contracts import PaymentFailureReason

# MercadoPago's `status_detail` of a rejected card payment (its most common ones).
_REJECTIONS = {
    "cc_rejected_insufficient_amount": PaymentFailureReason.INSUFFICIENT_FUNDS,
    "cc_rejected_bad_filled_security_code": PaymentFailureReason.BAD_SECURITY_CODE,
    "cc_rejected_bad_filled_date": PaymentFailureReason.BAD_EXPIRY_DATE,
    "cc_rejected_bad_filled_other": PaymentFailureReason.BAD_CARD_DATA,
    "cc_rejected_bad_filled_card_number": PaymentFailureReason.BAD_CARD_DATA,
    "cc_rejected_call_for_authorize": PaymentFailureReason.NEEDS_AUTHORIZATION,
    "cc_rejected_card_disabled": PaymentFailureReason.CARD_DISABLED,
    "cc_rejected_high_risk": PaymentFailureReason.HIGH_RISK,
}


def failure_reason(status: str, status_detail: str) -> PaymentFailureReason:
    """Why the payment failed: `cancelled` is the attempt cancelled or expired; a rejection is
    named by its status detail, OTHER when MercadoPago gave one we do not distinguish."""
    if status == "cancelled":
        return PaymentFailureReason.CANCELLED
    return _REJECTIONS.get(status_detail, PaymentFailureReason.OTHER)
