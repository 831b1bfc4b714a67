"""A stateful property test of the money path over many trabajos at once (hypothesis
`RuleBasedStateMachine`): people, staff, beat, MercadoPago and the workers act in any interleaving —
pay (approved or rejected), duplicate webhooks, deliver, finalize, cancel (client, professional,
staff), open a dispute, resolve it with any split, beat's auto-release, chargebacks and mediations
opened and won, the workers sending refunds and payouts.

Everything is the project's own code: the marketplace's services decide (transition table,
commission split), payments applies MercadoPago's state read back from the local sandbox, events
travel through the bus's delivery function. A rule that the transition table refuses must come back
as the documented refusal (400, `invalid_transition`) and one it allows must go through; any other
exception fails the test. After every step:
- the ledger balances, no escrow or payable is negative, every kept balance equals its entries;
- for every trabajo, money out (refunds, payouts) never exceeds money in, nothing is released twice;
- a closed trabajo whose money no chargeback holds has an empty escrow;
- MercadoPago never refunded more than it was paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.models import Trabajo
from conectar.marketplace.services import ofertas, trabajos
from conectar.marketplace.workflow import CLOSED, Action, transition_for
from conectar.payments import facade as payments
from conectar.shared.errors import Conflict
from tests.marketplace.deals import Deal, new_deal
from tests.marketplace.helpers import JSON
from tests.payments.helpers import (
    apply_mercadopago,
    assert_ledger_sound,
    escrow_of,
    money_in_of,
    money_out_of,
    releases_of,
    send_queued,
)
from tests.support.events import deliver_outbox

pytestmark = pytest.mark.django_db(databases="__all__")

MOTIVO = "No se terminó lo acordado en la oferta"
FROZEN = {"charged_back", "in_mediation"}
ACTORS = {Actor.CLIENTE: "cliente", Actor.PROFESIONAL: "pro", Actor.STAFF: "staff"}
prices = st.integers(min_value=100, max_value=5_000_000).map(lambda cents: Decimal(cents) / 100)


def deliver() -> None:
    """The bus's delivery, between the two contexts whose money this is."""
    deliver_outbox(to={"marketplace", "payments"})


@dataclass
class Known:
    """What the machine remembers of one trabajo: only MercadoPago's ids (the rest it reads)."""

    id: str
    preference_id: str
    mp_ids: list[str] = field(default_factory=list)


class MoneyMachine(RuleBasedStateMachine):
    deal: Deal
    sandbox = None
    staff_id = None

    trabajos = Bundle("trabajos")

    def __init__(self):
        super().__init__()
        self.known: list[Known] = []

    # --- helpers -----------------------------------------------------------------------------------------

    def trabajo(self, known: Known) -> Trabajo:
        return Trabajo.objects.get(pk=known.id)

    def actor_id(self, actor: Actor):
        return {
            Actor.CLIENTE: UUID(self.deal.cliente.user_id),
            Actor.PROFESIONAL: UUID(self.deal.pro.session.user_id),
            Actor.STAFF: self.staff_id,
        }[actor]

    def act(self, known: Known, action: Action, actor: Actor, **kwargs) -> None:
        """Ask the marketplace; the transition table says what must happen, and it must."""
        before = EstadoEscrow(self.trabajo(known).estado)
        row = transition_for(before, action)
        allowed = row is not None and actor in row.actors
        done, refused = None, None
        try:
            done = trabajos.apply(
                trabajo_id=known.id, action=action, actor=actor, actor_id=self.actor_id(actor), **kwargs
            )
        except Conflict as exc:  # the documented refusal; anything else fails the example
            refused = exc
        if refused is not None:
            assert not allowed, f"{action} by {actor} from {before} was refused: {refused.detail}"
            assert (refused.status, refused.code) == (400, "invalid_transition"), refused
            return
        assert allowed, f"{action} by {actor} from {before} went through"
        assert done.estado == row.target
        deliver()

    def mercadopago_payment(self, known: Known) -> dict | None:
        """The MercadoPago payment our Payment follows (the confirmed one), as MercadoPago has it."""
        summary = payments.payment_summary(trabajo_id=known.id)
        if summary is None or summary.mercadopago_payment_id is None or summary.status == "pending":
            return None
        return self.sandbox.payment(summary.mercadopago_payment_id)

    def mercadopago_says(self, mp_id: str, status: str) -> None:
        self.sandbox.set_status(mp_id, status, notify=False)
        apply_mercadopago(mp_id)
        deliver()

    # --- rules -------------------------------------------------------------------------------------------

    @initialize(target=trabajos, precio=prices)
    def first_trabajo(self, precio):
        return self._new(precio)

    @rule(target=trabajos, precio=prices)
    def new_trabajo(self, precio):
        return self._new(precio)

    def _new(self, precio: Decimal) -> Known:
        oferta = ofertas.oferta_create(
            profesional_id=UUID(self.deal.pro.session.user_id),
            cliente_id=UUID(self.deal.cliente.user_id),
            chat_id=UUID(self.deal.chat_id),
            descripcion="Arreglo de instalación eléctrica completa",
            precio_final=precio,
        )
        accepted = ofertas.oferta_accept(oferta_id=oferta.pk, cliente_id=UUID(self.deal.cliente.user_id))
        deliver()
        known = Known(str(accepted.trabajo.pk), accepted.payment_preference_id)
        self.known.append(known)
        return known

    @rule(known=trabajos, approved=st.booleans())
    def pay(self, known, approved):
        summary = payments.payment_summary(trabajo_id=known.id)
        if summary.status not in ("pending", "rejected", "cancelled"):
            return  # paid already: MercadoPago's checkout takes one payment
        status = "approved" if approved else "rejected"
        paid = self.sandbox.pay(known.preference_id, status=status, notify=False, wait=False, ignore_expiry=True)
        known.mp_ids.append(str(paid["id"]))
        apply_mercadopago(known.mp_ids[-1])
        deliver()

    @rule(known=trabajos)
    def duplicate_webhooks(self, known):
        for mp_id in reversed(known.mp_ids):  # again, and out of order
            apply_mercadopago(mp_id)
        deliver()

    @rule(known=trabajos)
    def deliver_work(self, known):
        self.act(known, Action.ENTREGAR, Actor.PROFESIONAL)

    @rule(known=trabajos)
    def finalize(self, known):
        self.act(known, Action.FINALIZAR, Actor.CLIENTE)

    @rule(known=trabajos, actor=st.sampled_from([Actor.CLIENTE, Actor.PROFESIONAL, Actor.STAFF]))
    def cancel(self, known, actor):
        self.act(known, Action.CANCELAR, actor, motivo=MOTIVO)

    @rule(known=trabajos)
    def dispute(self, known):
        self.act(known, Action.ABRIR_DISPUTA, Actor.CLIENTE, motivo=MOTIVO)

    @rule(known=trabajos, porcentaje=st.integers(min_value=0, max_value=100))
    def resolve(self, known, porcentaje):
        self.act(known, Action.RESOLVER, Actor.STAFF, motivo="Revisado", porcentaje_reembolso=porcentaje)

    @rule()
    def beat(self):
        trabajos.delivered_release_due()  # every delivered trabajo is due: TRABAJO_AUTO_RELEASE_DAYS=0
        deliver()

    @rule(known=trabajos, status=st.sampled_from(sorted(FROZEN)))
    def chargeback(self, known, status):
        at_mp = self.mercadopago_payment(known)
        if at_mp is not None and at_mp["status"] == "approved":
            self.mercadopago_says(str(at_mp["id"]), status)

    @rule(known=trabajos)
    def chargeback_won(self, known):
        at_mp = self.mercadopago_payment(known)
        if at_mp is not None and at_mp["status"] in FROZEN:
            self.mercadopago_says(str(at_mp["id"]), "approved")

    @rule()
    def workers(self):
        """The worker's part: send what is queued, then MercadoPago's notices of what we did."""
        self.worker_pass()

    def worker_pass(self) -> None:
        send_queued()
        for known in self.known:
            for mp_id in known.mp_ids:
                apply_mercadopago(mp_id)
        deliver()

    # --- invariants --------------------------------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self):
        assert_ledger_sound()

    @invariant()
    def money_out_never_exceeds_money_in(self):
        for known in self.known:
            money_in, money_out = money_in_of(known.id), money_out_of(known.id)
            assert money_out <= money_in, (known, money_in, money_out)
            assert escrow_of(known.id) >= 0
            assert releases_of(known.id) <= 1

    @invariant()
    def closed_means_an_empty_escrow(self):
        for known in self.known:
            trabajo = self.trabajo(known)
            summary = payments.payment_summary(trabajo_id=known.id)
            frozen = summary is not None and summary.status in FROZEN
            if EstadoEscrow(trabajo.estado) in CLOSED and not frozen:
                assert escrow_of(known.id) == 0, (trabajo.estado, summary)

    @invariant()
    def mercadopago_never_refunded_more_than_it_was_paid(self):
        for known in self.known:
            for mp_id in known.mp_ids:
                at_mp = self.sandbox.payment(mp_id)
                refunded = sum((Decimal(str(r["amount"])) for r in at_mp["refunds"]), Decimal("0.00"))
                assert refunded <= Decimal(str(at_mp["transaction_amount"]))

    def teardown(self):
        """Every open case won and the workers done: every closed trabajo's money has left."""
        for known in self.known:
            at_mp = self.mercadopago_payment(known)
            if at_mp is not None and at_mp["status"] in FROZEN:
                self.mercadopago_says(str(at_mp["id"]), "approved")
        self.worker_pass()
        self.worker_pass()  # a refund MercadoPago refused during a chargeback goes again once it is won
        for known in self.known:
            if EstadoEscrow(self.trabajo(known).estado) in CLOSED:
                assert escrow_of(known.id) == 0, known
        assert_ledger_sound()


@pytest.fixture
def machine_world(client, mp_sandbox, settings, django_user_model):
    settings.PUBLIC_API_URL = "http://127.0.0.1:9"  # the sandbox's webhooks go nowhere: rules apply state
    settings.PAYOUT_PROVIDER = "mercadopago"
    settings.PAYMENTS_RETRY_BACKOFF_SECONDS = 0
    settings.MARKETPLACE = {**settings.MARKETPLACE, "TRABAJO_AUTO_RELEASE_DAYS": 0}
    deal = new_deal(client)
    response = client.put(
        "/api/v1/professional/payout-info",
        {"payout_account": "pedro.gomez.mp"},
        content_type=JSON,
        headers=deal.pro.headers,
    )
    assert response.status_code == 200, response.content
    staff = django_user_model.objects.create_superuser("soporte-maquina@example.com", "Clave-Segura-2024")
    MoneyMachine.deal = deal
    MoneyMachine.sandbox = mp_sandbox
    MoneyMachine.staff_id = staff.pk
    return MoneyMachine


def test_money_stays_right_over_many_interleaved_trabajos(machine_world):
    run_state_machine_as_test(
        machine_world,
        settings=settings(
            max_examples=25,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
