"""PUBLIC: what other contexts may know of payments — DTOs, enums, events, exceptions.
Standard library only.

Payments moves the money of a trabajo: it collects the price through MercadoPago Checkout Pro into
the platform's account (escrow), then releases it to the professional (payout, minus commission) or
refunds it to the client. It learns what to do from the marketplace's events (`WorkCompleted`,
`WorkCancelled`, `DisputeResolved`) and tells the marketplace what MercadoPago said through the events
below. Trabajos and people are referred to by UUID only.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from conectar.shared.errors import Conflict, ServiceUnavailable
from conectar.shared.events import DomainEvent

# The ids of a trabajo's release payout and its refund are derived from the trabajo id, so the
# marketplace can answer `payout_id` / `refund_id` at once while payments creates them from the event.
_PAYMENTS_NAMESPACE = uuid.UUID("6f1b7a52-3c1e-4d55-9a0c-2f54c8a1e7b3")


def payout_id_for(trabajo_id: UUID) -> UUID:
    return uuid.uuid5(_PAYMENTS_NAMESPACE, f"payout:{trabajo_id}")


def refund_id_for(trabajo_id: UUID) -> UUID:
    return uuid.uuid5(_PAYMENTS_NAMESPACE, f"refund:{trabajo_id}")


class PaymentStatus(enum.StrEnum):
    """Our payment's state, following what MercadoPago last said about it."""

    PENDING = "pending"  # preference created, nothing paid yet
    APPROVED = "approved"  # money in escrow
    REJECTED = "rejected"  # the payer's attempt failed; a new checkout may be created
    CANCELLED = "cancelled"  # expired or the trabajo was cancelled unpaid
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"
    IN_MEDIATION = "in_mediation"


@dataclass(frozen=True)
class CheckoutDTO:
    payment_id: UUID  # ours
    trabajo_id: UUID
    preference_id: str  # MercadoPago's
    payment_url: str  # where the payer goes (Checkout Pro's init_point)


@dataclass(frozen=True)
class PaymentSummaryDTO:
    """The trabajo's payment as other contexts may show it."""

    payment_id: UUID
    status: PaymentStatus
    preference_id: str
    payment_url: str
    mercadopago_payment_id: str | None
    amount: Decimal


@dataclass(frozen=True)
class FinancialsDTO:
    """From the ledger: money released to professionals plus commission (`total_facturado`, the
    price of every trabajo released or the released part of a split), the commission earned, and how
    many trabajos were released (wholly or in part)."""

    total_facturado: Decimal
    comision_total: Decimal
    trabajos_completados: int


class PaymentFrozen(Conflict):
    """A chargeback or mediation holds the trabajo's money until staff lift the freeze."""

    code = "payment_frozen"
    default_detail = "El pago tiene un contracargo o una mediación abierta: el dinero está congelado."


class PaymentNotConfirmed(Conflict):
    code = "payment_not_confirmed"
    default_detail = "El pago de este trabajo todavía no está confirmado."


class PaymentProviderUnavailable(ServiceUnavailable):
    """MercadoPago did not answer in time, answered 5xx, or its circuit is open."""

    code = "payment_provider_unavailable"
    default_detail = "MercadoPago no está disponible en este momento; probá de nuevo en unos minutos."


# --- events -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PaymentCreated(DomainEvent):
    """A checkout (MercadoPago preference) exists for the trabajo."""

    name: ClassVar[str] = "payments.payment_created"
    payment_id: UUID
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    amount: Decimal
    preference_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentConfirmed(DomainEvent):
    """MercadoPago approved the payment and its amount matches: the money is in escrow."""

    name: ClassVar[str] = "payments.payment_confirmed"
    payment_id: UUID
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    amount: Decimal
    mercadopago_payment_id: str


class PaymentFailureReason(enum.StrEnum):
    """Why a payer's attempt failed, in the domain's words: payments translates its provider's
    codes (MercadoPago's `cc_rejected_*` status details) into these, so no subscriber knows them."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    BAD_SECURITY_CODE = "bad_security_code"
    BAD_EXPIRY_DATE = "bad_expiry_date"
    BAD_CARD_DATA = "bad_card_data"
    NEEDS_AUTHORIZATION = "needs_authorization"  # the payer's bank asks them to authorise it
    CARD_DISABLED = "card_disabled"
    HIGH_RISK = "high_risk"  # refused by the provider's fraud checks
    CANCELLED = "cancelled"  # the attempt was cancelled or expired, nothing was charged
    OTHER = "other"  # a rejection with no more specific reason (or one we do not know yet)


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(DomainEvent):
    """The payer's attempt was rejected or cancelled; the trabajo stays payable. `reason` says why,
    in domain terms (PaymentFailureReason).

    Still version 1, changed compatibly (expand, then contract): `reason` was added with a default,
    so an envelope published before it existed still decodes and is handled (as OTHER: the payer is
    told without the detail). `status_detail` — the provider's raw code it used to carry — is no
    longer filled (always ""); it stays in the shape only so that a subscriber still running the
    previous code decodes new envelopes, and goes when none does. Subscribers read `reason` only."""

    name: ClassVar[str] = "payments.payment_failed"
    payment_id: UUID
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    mercadopago_payment_id: str
    status: str
    reason: PaymentFailureReason = PaymentFailureReason.OTHER
    status_detail: str = ""  # deprecated, always "": see the docstring


@dataclass(frozen=True, kw_only=True)
class Refunded(DomainEvent):
    """Money went back to the client. `remaining_escrow` is what is still held for the trabajo;
    `initiated_by` is `marketplace` (cancellation, dispute split), `staff`, `provider` (a refund
    made in MercadoPago itself) or `payments` (automatic: the money arrived for a trabajo that had
    already been cancelled unpaid, so it went straight back)."""

    name: ClassVar[str] = "payments.refunded"
    refund_id: UUID
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    amount: Decimal
    remaining_escrow: Decimal
    initiated_by: str


@dataclass(frozen=True, kw_only=True)
class PayoutCompleted(DomainEvent):
    name: ClassVar[str] = "payments.payout_completed"
    payout_id: UUID
    trabajo_id: UUID
    profesional_id: UUID
    amount: Decimal
    reference: str  # the transfer reference (MercadoPago transaction intent or staff's note)


@dataclass(frozen=True, kw_only=True)
class PayoutFailed(DomainEvent):
    """The payout failed for good (after retries); staff must act."""

    name: ClassVar[str] = "payments.payout_failed"
    payout_id: UUID
    trabajo_id: UUID
    profesional_id: UUID
    amount: Decimal
    reason: str


@dataclass(frozen=True, kw_only=True)
class ChargebackOpened(DomainEvent):
    """The payer disputed the payment with their card issuer (charged_back) or MercadoPago opened a
    mediation (in_mediation): release is frozen and staff are alerted."""

    name: ClassVar[str] = "payments.chargeback_opened"
    payment_id: UUID
    trabajo_id: UUID
    cliente_id: UUID
    profesional_id: UUID
    mercadopago_payment_id: str
    status: str  # charged_back | in_mediation
