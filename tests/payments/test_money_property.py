"""Property: whatever sequence of payments, duplicate webhooks, deliveries, finalizations,
cancellations, dispute splits, chargebacks and refunds made in MercadoPago, the money stays right.

Each example is one trabajo driven through the real services and handlers: the payer pays in the
sandbox and the payment is applied the way the webhook worker applies it; the marketplace's decisions
are published as the marketplace publishes them and delivered to payments' handlers by the bus's own
delivery function; the "worker" step sends queued refunds to the sandbox. A toy marketplace decides
which moves are possible (its state machine, reduced to what moves money). After every step:
- every ledger transaction balances (SQL, and the commit-time constraint fired), no guarded account
  is negative, and each kept balance equals its entries;
- nothing is released twice, nor paid out twice, nor refunded beyond the price;
- what the ledger says left for refunds equals what MercadoPago says it refunded (once nothing of
  ours is in flight);
- once payments accepted a closing decision (release, refund, split), the trabajo's escrow is zero.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conectar.marketplace.contracts import DisputeResolved, WorkCompleted
from conectar.payments.mercadopago import client as mercadopago
from conectar.payments.models import LedgerEntry, LedgerTransaction, Payment, Payout, Refund, RefundStatus
from conectar.payments.services import refunds
from conectar.payments.services.escrow import EscrowMismatch
from conectar.payments.services.freeze import payment_unfreeze
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for
from conectar.platform.events import publish
from tests.payments.helpers import (
    Trabajo,
    apply_mercadopago,
    assert_ledger_sound,
    cancelled,
    completed,
    new_checkout,
    resolved,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)

pytestmark = pytest.mark.django_db(databases="__all__")

# The toy marketplace's states (DOMAIN.md § Trabajo and escrow), only as far as money is concerned.
PENDIENTE, PAGADO, ENTREGADO, LIBERADO = "PENDIENTE_PAGO", "PAGADO_EN_ESCROW", "ENTREGADO", "LIBERADO"
CANCELADO, REEMBOLSADO, DISPUTA, RESUELTO = "CANCELADO", "CANCELADO_REEMBOLSADO", "EN_DISPUTA", "RESUELTO"
HELD = (PAGADO, ENTREGADO)

steps = st.one_of(
    st.sampled_from(
        ["pay", "pay_rejected", "duplicate", "deliver", "finalize", "cancel", "dispute", "chargeback", "worker"]
    ),
    st.tuples(st.just("resolve"), st.integers(min_value=0, max_value=100)),
    st.tuples(st.just("provider_refund"), st.integers(min_value=1, max_value=100)),
)
prices = st.integers(min_value=100, max_value=50_000_000).map(lambda cents: Decimal(cents) / 100)
rates = st.sampled_from([Decimal("0.20"), Decimal("0.18"), Decimal("0.15"), Decimal("0.10")])


@dataclass
class Model:
    trabajo: Trabajo
    rate: Decimal
    state: str = PENDIENTE
    closed: bool = False  # payments accepted a decision that empties the escrow
    refused: list[str] = field(default_factory=list)  # decisions payments refused (dead letters, asserted)
    mp_ids: list[str] = field(default_factory=list)


def deliver_to_payments(*events) -> list[EscrowMismatch]:
    """Publish as the marketplace does; deliver every pending event to payments' handlers only (the
    toy marketplace plays the other side). The one documented refusal of a decision — amounts that
    no longer match the escrow, which the bus dead-letters for staff — is handed back for the caller
    to check it was due; any other exception fails the example."""
    with transaction.atomic(using="marketplace"):
        for event in events:
            publish(event)
    errors = []
    while pending := list(OutboxEvent.objects.using("marketplace").filter(relayed_at=None).order_by("id")):
        for row in pending:
            for sub in subscriptions_for(row.event_type):
                if sub.context == "payments":
                    try:
                        handle_once(sub, row.envelope)
                    except EscrowMismatch as exc:
                        errors.append(exc)
            OutboxEvent.objects.using("marketplace").filter(pk=row.pk).update(relayed_at=timezone.now())
    return errors


def sandbox_payment(mp_sandbox, model: Model) -> dict | None:
    payment = Payment.objects.get(trabajo_id=model.trabajo.id)
    if not payment.mercadopago_payment_id or payment.approved_at is None:
        return None
    return mp_sandbox.payment(payment.mercadopago_payment_id)


def decide(model: Model, event, *, closes: bool) -> None:
    held = model.trabajo.escrow()
    errors = deliver_to_payments(event)
    if errors:
        # Only a split of the whole price (release, dispute) can stop matching the escrow, and only
        # once MercadoPago refunded part of it by itself: then it is refused, and nothing moved.
        assert isinstance(event, (WorkCompleted, DisputeResolved)), (event, errors)
        assert held != model.trabajo.price, (held, errors)
        assert model.trabajo.escrow() == held
        model.refused.append(type(errors[0]).__name__)
    elif closes:
        model.closed = True


def refunded_in_mercadopago(mp_sandbox, model: Model) -> None:
    """The marketplace's reading of Refunded(initiated_by=provider) with nothing left in escrow."""
    if model.state in (*HELD, DISPUTA) and model.trabajo.escrow() == 0:
        model.state = REEMBOLSADO
        decide(model, cancelled(model.trabajo, refund=True), closes=True)


def step(mp_sandbox, model: Model, action) -> None:  # noqa: PLR0912, PLR0915 - one branch per move
    trabajo = model.trabajo
    name, arg = action if isinstance(action, tuple) else (action, None)
    payment = Payment.objects.get(trabajo_id=trabajo.id)
    if name == "pay" and payment.approved_at is None and model.state in (PENDIENTE, CANCELADO):
        model.mp_ids.append(sandbox_pay(mp_sandbox, trabajo))
        apply_mercadopago(model.mp_ids[-1])
        if model.state == PENDIENTE:
            model.state = PAGADO
        else:  # a late payment: payments sends it back; the marketplace asks for the refund too
            model.state = REEMBOLSADO
            decide(model, cancelled(trabajo, refund=True), closes=True)
            model.closed = True
    elif name == "pay_rejected" and payment.approved_at is None:
        model.mp_ids.append(sandbox_pay(mp_sandbox, trabajo, status="rejected"))
        apply_mercadopago(model.mp_ids[-1])
    elif name == "duplicate" and model.mp_ids:
        for mp_id in model.mp_ids:
            apply_mercadopago(mp_id)
    elif name == "deliver" and model.state == PAGADO:
        model.state = ENTREGADO
    elif name == "finalize" and model.state in HELD:
        model.state = LIBERADO
        decide(model, completed(trabajo, rate=model.rate), closes=True)
    elif name == "cancel" and model.state == PENDIENTE:
        model.state = CANCELADO
        decide(model, cancelled(trabajo, refund=False), closes=False)
    elif name == "cancel" and model.state in HELD:
        model.state = REEMBOLSADO
        decide(model, cancelled(trabajo, refund=True), closes=True)
    elif name == "dispute" and model.state in HELD:
        model.state = DISPUTA
    elif name == "resolve" and model.state == DISPUTA:
        model.state = RESUELTO
        if payment.frozen:  # staff settle the chargeback at MercadoPago and lift the freeze first
            payment_unfreeze(payment_id=payment.pk)
        decide(model, resolved(trabajo, arg, rate=model.rate), closes=True)
    elif name == "chargeback":
        at_mp = sandbox_payment(mp_sandbox, model)
        if at_mp and at_mp["status"] == "approved":
            status = "charged_back" if len(model.mp_ids) % 2 else "in_mediation"
            mp_sandbox.set_status(str(at_mp["id"]), status, notify=False)
            apply_mercadopago(str(at_mp["id"]))
            if model.state in HELD:
                model.state = DISPUTA
    elif name == "provider_refund":
        at_mp = sandbox_payment(mp_sandbox, model)
        if at_mp and at_mp["status"] == "approved":
            left = Decimal(str(at_mp["transaction_amount"])) - Decimal(str(at_mp["transaction_amount_refunded"]))
            amount = max(Decimal("0.01"), (left * arg / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
            mercadopago.refund_payment(payment_id=str(at_mp["id"]), amount=amount, idempotency_key=str(uuid.uuid4()))
            apply_mercadopago(str(at_mp["id"]))
            refunded_in_mercadopago(mp_sandbox, model)
    elif name == "worker":
        for refund in Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.REQUESTED):
            refunds.refund_send(refund.pk)
        if payment.mercadopago_payment_id:  # the re-read a refused refund or its webhook triggers
            apply_mercadopago(payment.mercadopago_payment_id)
            refunded_in_mercadopago(mp_sandbox, model)


def check(mp_sandbox, model: Model) -> None:
    trabajo = model.trabajo
    assert_ledger_sound()
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="release").count() <= 1
    assert LedgerTransaction.objects.filter(trabajo_id=trabajo.id, kind="payment_received").count() <= 1
    assert Payout.objects.filter(trabajo_id=trabajo.id).count() <= 1
    ours = Refund.objects.filter(trabajo_id=trabajo.id).exclude(initiated_by="provider")
    assert (ours.aggregate(s=Sum("amount"))["s"] or 0) <= trabajo.price
    for refund in ours.filter(status=RefundStatus.COMPLETED):
        assert LedgerTransaction.objects.filter(idempotency_key=f"refund_completed:{refund.pk}").count() == 1
    if model.closed:
        assert trabajo.escrow() == 0, model
    at_mp = sandbox_payment(mp_sandbox, model)
    if at_mp and not Refund.objects.filter(trabajo_id=trabajo.id, status=RefundStatus.REQUESTED).exists():
        left_clearing = -(
            LedgerEntry.objects.filter(
                account__code="mercadopago_clearing",
                transaction__trabajo_id=trabajo.id,
                transaction__kind__in=["refund_completed", "provider_refund"],
            ).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        assert left_clearing == Decimal(str(at_mp["transaction_amount_refunded"])), model


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=prices,
    rate=rates,
    paid_first=st.sampled_from([True, True, True, False]),  # most trabajos get paid; some never do
    actions=st.lists(steps, min_size=1, max_size=12),
)
def test_money_is_never_lost_doubled_or_left_behind(  # noqa: PLR0917 - hypothesis passes them positionally
    mp_sandbox, settings_override, price, rate, paid_first, actions
):
    model = Model(new_checkout(price=price), rate)
    for action in (["pay"] if paid_first else []) + actions:
        step(mp_sandbox, model, action)
        check(mp_sandbox, model)
    # Shown by --hypothesis-show-statistics: which ends the examples reached.
    event(f"state {model.state}{' (escrow emptied)' if model.closed else ''}")
    for refusal in model.refused:
        event(f"payments refused a decision: {refusal}")


@pytest.fixture
def settings_override(settings):
    settings.PUBLIC_API_URL = "http://127.0.0.1:9"  # the sandbox's webhooks go nowhere: steps apply state
    settings.PAYOUT_PROVIDER = "manual"
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0
    return settings
