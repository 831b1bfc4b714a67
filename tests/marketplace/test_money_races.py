"""Two money decisions on one trabajo at the same instant: exactly one of them happens.

Each test races two decisions — made over HTTP, from threads of this process with connections of
their own, through the test client or against a live server, or made by the real worker (a
MercadoPago chargeback webhook, beat's auto-release, refunds) — and then checks that:
- one decision won and the other got 400 with its specific `code` (never a 500, never both);
- the money followed the winner only: released once (one payout) or refunded once at MercadoPago,
  the escrow zero once the trabajo is closed and the ledger balanced;
- a chargeback freezes what it found in flight, and once won, every held decision goes on.
Payments is another context: its state is read over HTTP (`/payment/status`), and the ledger's
invariants with the payments tests' SQL checks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from celery import current_app
from django.test import Client

from conectar.marketplace import tasks
from conectar.marketplace.models import Trabajo
from conectar.marketplace.services.trabajos import release_split
from tests.marketplace.deals import Deal, new_deal, offer
from tests.marketplace.helpers import JSON
from tests.payments.helpers import assert_ledger_sound, payments_worker  # noqa: F401 - fixture
from tests.support.accounts import Session, admin_session
from tests.support.concurrency import run_together
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(databases="__all__", transaction=True),
    pytest.mark.usefixtures("payments_worker"),
]

INVALID = "invalid_transition"
MOTIVO = "El trabajo quedó a medio hacer"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


@dataclass
class Race:
    deal: Deal
    staff: Session
    trabajo_id: str
    precio: Decimal
    base_url: str | None  # a live server, or None for the test client in each thread

    def call(self, who, path: str, body: dict | None = None) -> Answer:
        """POST as `who`, from the calling thread (a client of its own: they are not thread-safe)."""
        if self.base_url is None:
            response = Client().post(path, body or {}, content_type=JSON, headers=who.headers)
            return Answer(response.status_code, response.json())
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.post(path, json=body or {}, headers=who.headers)
            return Answer(response.status_code, response.json())

    # --- the decisions -------------------------------------------------------------------------------

    def finalizar(self) -> Answer:
        return self.call(self.deal.cliente, f"/api/v1/cliente/trabajo/{self.trabajo_id}/finalizar")

    def cancelar(self) -> Answer:
        return self.call(self.deal.cliente, f"/api/v1/cliente/trabajo/{self.trabajo_id}/cancelar", {"motivo": MOTIVO})

    def cancelar_profesional(self) -> Answer:
        return self.call(self.deal.pro, f"/api/v1/trabajo/{self.trabajo_id}/cancelar", {"motivo": MOTIVO})

    def disputa(self) -> Answer:
        return self.call(self.deal.cliente, f"/api/v1/trabajo/{self.trabajo_id}/disputa", {"motivo": MOTIVO})

    def staff_refund(self) -> Answer:
        return self.call(self.staff, "/api/v1/payment/refund", {"trabajo_id": self.trabajo_id})

    def resolver(self, porcentaje: int) -> Answer:
        body = {"porcentaje_reembolso": porcentaje, "nota": "Revisado por soporte"}
        return self.call(self.staff, f"/api/v1/admin/trabajo/{self.trabajo_id}/resolver", body)

    # --- reading the outcome -------------------------------------------------------------------------

    def trabajo(self) -> Trabajo:
        return Trabajo.objects.get(pk=self.trabajo_id)

    def money(self) -> dict:
        """The payment as payments answers it over HTTP: status, escrow, refunds, payout."""
        response = Client().get(f"/api/v1/payment/status/{self.trabajo().payment_id}", headers=self.staff.headers)
        assert response.status_code == 200, response.content
        return response.json()

    def escrow(self) -> Decimal:
        return Decimal(self.money()["escrow_balance"])


@pytest.fixture(params=["test-client", "live-server"])
def transport(request):
    """Decisions from threads through the test client, or as real HTTP requests to a live server."""
    return request.getfixturevalue("live_server").url if request.param == "live-server" else None


@pytest.fixture
def race(client, mp_sandbox, django_user_model, request) -> Race:
    base_url = request.getfixturevalue("transport") if "transport" in request.fixturenames else None
    deal = new_deal(client)
    precio = Decimal("12000.00")
    oferta_id = offer(client, deal, precio=str(precio)).json()["id"]
    accepted = client.post(f"/api/v1/offers/{oferta_id}/accept", headers=deal.cliente.headers).json()
    mp_sandbox.pay(accepted["payment_preference_id"], status="approved")
    staff = admin_session(client, django_user_model)
    race = Race(deal, staff, accepted["trabajo_id"], precio, base_url)
    wait_until(lambda: race.trabajo().estado == "PAGADO_EN_ESCROW", message="the payment confirmed")
    wait_until(lambda: race.escrow() == precio, message="the price in escrow")
    return race


def one_won(answers: list, refusal_codes: set[str]) -> int:
    """Exactly one decision went through; the other got 400 with one of the expected codes.
    Returns the winner's index."""
    assert not [a for a in answers if isinstance(a, Exception)], answers
    won = [i for i, a in enumerate(answers) if a.status in (200, 202)]
    refused = [a for a in answers if a.status == 400]
    assert (len(won), len(refused)) == (1, len(answers) - 1), answers
    for answer in refused:
        assert answer.body["code"] in refusal_codes, answer
    return won[0]


# --- the outcomes, once the worker has carried out the winner ------------------------------------------


def released_once(race: Race, *, estado: str = "LIBERADO") -> None:
    """Released whole (LIBERADO, or RESUELTO with nothing for the client): one payout of the
    price less the frozen commission, the escrow empty, nothing refunded."""
    trabajo = wait_until(lambda: race.trabajo() if race.trabajo().estado == estado else None, message=estado)
    comision, liberado = release_split(race.precio, trabajo.tasa_comision)
    payout = wait_until(lambda: race.money()["payout"], message="the payout")
    assert Decimal(payout["amount"]) == liberado == trabajo.monto_liberado
    assert trabajo.comision_plataforma == comision
    wait_until(lambda: race.escrow() == 0, message="the escrow emptied by the release")
    assert race.money()["refunds"] == [], "released and refunded"
    assert_ledger_sound()


def refunded_once(race: Race, mp_sandbox, *, estado: str = "CANCELADO_REEMBOLSADO") -> None:
    wait_until(lambda: race.trabajo().estado == estado, message=estado)
    done = lambda: [r for r in race.money()["refunds"] if r["status"] == "completed"]  # noqa: E731
    refunds = wait_until(
        lambda: done() if sum(Decimal(r["amount"]) for r in done()) == race.precio else None,
        message="the price refunded",
    )
    assert sum(Decimal(r["amount"]) for r in refunds) == race.precio
    at_mercadopago = mp_sandbox.refunds(race.trabajo().mercadopago_payment_id)
    assert sum(Decimal(str(r["amount"])) for r in at_mercadopago) == race.precio, at_mercadopago
    assert len(at_mercadopago) == len(refunds)
    assert race.escrow() == 0
    assert race.money()["payout"] is None, "refunded and released"
    assert_ledger_sound()


def held_in_dispute(race: Race) -> None:
    assert race.trabajo().estado == "EN_DISPUTA"
    assert race.escrow() == race.precio
    money = race.money()
    assert (money["refunds"], money["payout"]) == ([], None)


def settled(race: Race, mp_sandbox, decision: str) -> None:
    {
        "finalizar": lambda: released_once(race),
        "cancelar": lambda: refunded_once(race, mp_sandbox),
        "cancelar_profesional": lambda: refunded_once(race, mp_sandbox),
        "disputa": lambda: held_in_dispute(race),
    }[decision]()


# --- people against people -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [("finalizar", "cancelar"), ("finalizar", "disputa"), ("cancelar", "disputa")],
)
def test_two_decisions_of_the_people_at_once_one_wins(race, mp_sandbox, transport, first, second):
    answers = run_together(getattr(race, first), getattr(race, second))
    winner = (first, second)[one_won(answers, {INVALID})]
    settled(race, mp_sandbox, winner)
    # the loser's decision never happened afterwards either
    assert len(race.trabajo().history.filter(accion__in=["finalizar", "cancelar", "abrir_disputa"])) == 1


# --- people against beat's auto-release (run by the real worker) ------------------------------------------


@pytest.mark.parametrize("decision", ["finalizar", "disputa", "cancelar_profesional"])
def test_a_decision_racing_the_auto_release_of_a_delivered_trabajo(race, mp_sandbox, settings, decision):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "TRABAJO_AUTO_RELEASE_DAYS": 0}  # due as soon as delivered
    assert race.call(race.deal.pro, f"/api/v1/trabajo/{race.trabajo_id}/entregar").status == 200

    def auto_release_by_the_worker() -> None:
        current_app.send_task("marketplace.release_delivered_trabajos")  # what beat does

    person, beat, _ = run_together(
        getattr(race, decision), tasks.release_delivered_trabajos, auto_release_by_the_worker
    )
    assert beat in (0, 1), beat
    if person.status == 400:
        assert person.body["code"] == INVALID, person
        released_once(race)
    else:
        assert person.status == 200, person
        settled(race, mp_sandbox, decision)
    automatic = race.trabajo().history.filter(accion="liberar_automatico").count()
    assert automatic == (1 if person.status == 400 else 0)


# --- people against a MercadoPago chargeback (webhook → the worker) ---------------------------------------


def chargeback(race: Race, mp_sandbox, status: str = "charged_back"):
    def webhook() -> dict:
        return mp_sandbox.set_status(race.trabajo().mercadopago_payment_id, status, notify=True, wait=True)

    return webhook


def frozen(race: Race) -> bool:
    return race.money()["status"] in ("charged_back", "in_mediation")


@pytest.mark.parametrize("decision", ["finalizar", "cancelar", "disputa"])
def test_a_decision_racing_a_chargeback_is_held_then_carried_out_once_the_chargeback_is_won(race, mp_sandbox, decision):
    person, _ = run_together(getattr(race, decision), chargeback(race, mp_sandbox))
    assert not isinstance(person, Exception), person
    wait_until(lambda: frozen(race), message="the payment frozen")
    wait_until(lambda: race.trabajo().contracargo, message="the marketplace told of the chargeback")
    if person.status == 400:  # the chargeback came first: the trabajo went to dispute
        assert person.body["code"] == INVALID, person
        decision = "disputa"
    else:
        assert person.status == 200, person
    payout = race.money()["payout"]
    assert payout is None or payout["status"] != "completed", "paid out while frozen"
    assert_ledger_sound()

    mp_sandbox.set_status(race.trabajo().mercadopago_payment_id, "approved", notify=True, wait=True)  # won
    wait_until(lambda: not frozen(race), message="the freeze lifted by the chargeback won")
    if race.trabajo().estado == "EN_DISPUTA":  # staff decide the dispute the chargeback (or the client) opened
        assert race.resolver(0).status == 200
        released_once(race, estado="RESUELTO")
    else:
        settled(race, mp_sandbox, decision)


def test_a_dispute_split_decided_during_a_mediation_goes_on_when_it_is_won(race, mp_sandbox):
    assert race.disputa().status == 200
    chargeback(race, mp_sandbox, "in_mediation")()
    wait_until(lambda: frozen(race), message="the payment frozen")
    assert race.resolver(25).status == 200
    assert race.escrow() == race.precio, "a frozen escrow moved"

    mp_sandbox.set_status(race.trabajo().mercadopago_payment_id, "approved", notify=True, wait=True)

    trabajo = race.trabajo()
    refund = wait_until(
        lambda: [r for r in race.money()["refunds"] if r["status"] == "completed"], message="the 25 % refunded"
    )
    assert [Decimal(r["amount"]) for r in refund] == [trabajo.monto_reembolsado] == [Decimal("3000.00")]
    payout = wait_until(lambda: race.money()["payout"], message="the payout of the rest")
    assert Decimal(payout["amount"]) == trabajo.monto_liberado
    wait_until(lambda: race.escrow() == 0, message="the escrow emptied")
    assert_ledger_sound()


# --- staff refund against the client's cancellation --------------------------------------------------------


def test_a_staff_refund_racing_the_clients_cancellation_refunds_the_price_once(race, mp_sandbox):
    cancel, refund = run_together(race.cancelar, race.staff_refund)
    assert not isinstance(cancel, Exception), cancel
    assert not isinstance(refund, Exception), refund
    # The cancellation is the marketplace's and always stands; the staff refund either took the
    # escrow first (202) or found the cancellation's refund on its way (400 with why).
    assert cancel.status == 200, cancel
    if refund.status != 202:
        assert (refund.status, refund.body["code"]) in {(400, "refund_in_progress"), (400, "nothing_to_refund")}
    refunded_once(race, mp_sandbox)
    # Asking again once it is all settled is refused with the reason, never a second refund.
    again = race.staff_refund()
    assert (again.status, again.body["code"]) == (400, "nothing_to_refund")
    refunded_once(race, mp_sandbox)
