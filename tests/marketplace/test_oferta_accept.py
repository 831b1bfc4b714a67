"""Accepting an oferta: the trabajo and its MercadoPago checkout are created together (the real SDK
against the local sandbox), exactly once under concurrent clicks, and nothing is left half-done when
MercadoPago fails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conectar.marketplace.contracts import Actor
from conectar.marketplace.models import Message, Trabajo
from conectar.marketplace.services import ofertas, trabajos
from conectar.marketplace.workflow import Action
from conectar.shared.errors import Conflict
from tests.marketplace.deals import new_deal, offer
from tests.support.concurrency import run_concurrently
from tests.support.events import published
from tests.support.professionals import award_points

pytestmark = pytest.mark.django_db(databases="__all__", transaction=False)


def test_accepting_creates_the_trabajo_and_its_checkout(client, mp_sandbox):
    deal = new_deal(client)
    oferta_id = offer(client, deal, precio="25000.00").json()["id"]
    response = client.post(f"/api/v1/cliente/ofertas/{oferta_id}/accept", headers=deal.cliente.headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["oferta"]["estado"] == "ACEPTADO"
    assert body["payment_url"].startswith(mp_sandbox.url)
    trabajo = Trabajo.objects.get(pk=body["trabajo_id"])
    assert (trabajo.estado, trabajo.precio_final, trabajo.payment_preference_id) == (
        "PENDIENTE_PAGO",
        Decimal("25000.00"),
        body["payment_preference_id"],
    )
    assert trabajo.tasa_comision == deal.pro.refresh().tasa_comision_actual  # frozen now
    (created,) = mp_sandbox.requests("/checkout/preferences", method="POST")
    assert created["body"]["external_reference"] == str(trabajo.pk)
    assert Decimal(str(created["body"]["items"][0]["unit_price"])) == Decimal("25000.00")
    assert published("marketplace.offer_accepted.v1", "marketplace")[0]["trabajo_id"] == str(trabajo.pk)
    assert Message.objects.filter(chat_id=deal.chat_id, kind="sistema", text__contains="aceptó").exists()
    seen = client.get(f"/api/v1/trabajo/{trabajo.pk}", headers=deal.pro.headers).json()
    assert (seen["estado_escrow"], seen["oferta_id"]) == ("PENDIENTE_PAGO", oferta_id)
    # accepting again is a conflict naming the state
    again = client.post(f"/api/v1/offers/{oferta_id}/accept", headers=deal.cliente.headers)
    assert again.status_code == 400
    assert "ACEPTADO" in again.json()["detail"]


def test_the_frozen_rate_does_not_follow_later_level_changes(client, mp_sandbox):
    deal = new_deal(client)

    def accepted(precio: str) -> Trabajo:
        oferta_id = offer(client, deal, precio=precio).json()["id"]
        response = client.post(f"/api/v1/offers/{oferta_id}/accept", headers=deal.cliente.headers)
        assert response.status_code == 200, response.content
        return Trabajo.objects.get(pk=response.json()["trabajo_id"])

    first = accepted("10000.00")
    assert first.tasa_comision == Decimal("0.200")  # BRONCE, frozen at accept
    award_points(deal.pro, 15_000)  # the professional climbs to DIAMANTE: 10 % from now on
    assert accepted("10000.00").tasa_comision == Decimal("0.100")  # a new acceptance takes the new rate

    # The first trabajo is released at the rate it was accepted with, not the professional's current one.
    trabajos.apply(trabajo_id=first.pk, action=Action.CONFIRMAR_PAGO, actor=Actor.SISTEMA)
    done = trabajos.apply(
        trabajo_id=first.pk, action=Action.FINALIZAR, actor=Actor.CLIENTE, actor_id=deal.cliente.user_id
    )
    assert (done.tasa_comision, done.comision_plataforma, done.monto_liberado) == (
        Decimal("0.200"),
        Decimal("2000.00"),
        Decimal("8000.00"),
    )
    [released] = [
        e for e in published("marketplace.work_completed.v1", "marketplace") if e["trabajo_id"] == str(first.pk)
    ]
    assert (Decimal(released["tasa_comision"]), Decimal(released["comision_plataforma"])) == (
        Decimal("0.200"),
        Decimal("2000.00"),
    )


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_two_concurrent_accepts_make_exactly_one_trabajo(client, mp_sandbox):
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    outcomes = run_concurrently(
        lambda: ofertas.oferta_accept(oferta_id=oferta_id, cliente_id=deal.cliente.user_id), times=4
    )
    accepted = [o for o in outcomes if isinstance(o, ofertas.Acceptance)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(accepted), len(refused)) == (1, 3), outcomes
    assert Trabajo.objects.filter(oferta_id=oferta_id).count() == 1
    assert len(mp_sandbox.requests("/checkout/preferences", method="POST")) == 1
