"""Payment routes (API.md § payments): status, history; staff refund and payout retry. The checkout of
a trabajo (`POST /payment/create`) is the marketplace's step of the acceptance saga (its routes)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from ninja import Query, Router, Schema, Status
from pydantic import Field

from conectar.payments.http.bodies import payment_body, payment_detail_body, payout_body, refund_body
from conectar.payments.selectors import payments as payment_selectors
from conectar.payments.services import payouts, refunds
from conectar.platform.auth import AccessTokenBearer, Principal, RoleBearer, ServiceKey
from conectar.platform.permissions import ADMIN_ROLE
from conectar.shared.errors import NotFound

router = Router(tags=["payments"])
staff_or_service = [ServiceKey(), RoleBearer(ADMIN_ROLE)]  # service credentials first, else staff
IDEMPOTENCY_KEY_MAX = 100


class TrabajoIn(Schema):
    trabajo_id: UUID


class RefundIn(Schema):
    trabajo_id: UUID
    amount: Decimal | None = Field(default=None, ge=Decimal("0.01"), max_digits=12, decimal_places=2)


class HistoryQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    page: int = Field(default=1, ge=1, le=10_000)


def _is_admin(principal) -> bool:
    return isinstance(principal, Principal) and (principal.role == ADMIN_ROLE or principal.is_staff)


def _staff_id(principal) -> UUID | None:
    return principal.user_id if isinstance(principal, Principal) else None


@router.get(
    "/payment/status/{payment_id}",
    response=dict,
    auth=AccessTokenBearer(),
    summary="A payment, its escrow, refunds and payout (its client, its professional or staff)",
)
def payment_status(request, payment_id: UUID):
    me = request.auth
    payment = payment_selectors.payment_for_reader(payment_id, user_id=me.user_id, is_admin=_is_admin(me))
    return payment_detail_body(
        payment,
        refunds=payment_selectors.refunds_of(payment),
        payout=payment_selectors.payout_of(payment.trabajo_id),
    )


@router.get(
    "/payment/history/{user_id}",
    response=list[dict],
    auth=AccessTokenBearer(),
    summary="Payments where the person is the client or the professional, newest first",
)
def payment_history(request, user_id: UUID, query: Query[HistoryQuery]):
    me = request.auth
    if me.user_id != user_id and not _is_admin(me):
        raise NotFound("No encontramos ese historial.")
    rows = payment_selectors.payments_of(user_id, limit=query.limit, offset=(query.page - 1) * query.limit)
    return [payment_body(p) for p in rows]


@router.post(
    "/payment/refund",
    response={202: dict},
    auth=staff_or_service,
    summary="Refund all that is left in escrow, or `amount` of it (staff or internal service)",
)
def payment_refund(request, payload: RefundIn):
    key = (request.headers.get("Idempotency-Key") or "").strip()[:IDEMPOTENCY_KEY_MAX] or None
    refund = refunds.staff_refund(
        trabajo_id=payload.trabajo_id,
        amount=payload.amount,
        requested_by=_staff_id(request.auth),
        idempotency_key=key,
    )
    return Status(202, refund_body(refund))


@router.post(
    "/payment/payout",
    response={202: dict},
    auth=staff_or_service,
    summary="Send a failed payout to the professional again (staff or internal service)",
)
def payment_payout(request, payload: TrabajoIn):
    return Status(202, payout_body(payouts.payout_retry(trabajo_id=payload.trabajo_id)))
