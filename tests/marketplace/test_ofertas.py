"""Ofertas without the payment part: making one, bad input, who may do what, reject, withdraw,
expiry. Accepting (which creates the checkout) is in test_oferta_accept.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conectar.marketplace.models import ChatStanding, Message, Oferta
from conectar.marketplace.services import ofertas
from tests.marketplace.deals import new_deal, offer
from tests.marketplace.helpers import JSON, new_pair
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")


def test_an_approved_professional_makes_an_oferta_shown_in_the_chat(client):
    deal = new_deal(client)
    response = offer(client, deal, precio="15000.5", expira_en_horas=48)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["estado"], body["precio_final"], body["cliente_id"]) == ("OFERTADO", "15000.50", deal.cliente.user_id)
    message = Message.objects.get(chat_id=deal.chat_id, kind="oferta")
    assert str(message.oferta_id) == body["id"]
    assert str(message.sender_id) == deal.pro.session.user_id
    assert "15000.50" in message.text
    (event,) = published("marketplace.offer_created.v1", "marketplace")
    assert event["oferta_id"] == body["id"]
    # both listing paths of each side see it
    for path, who in (
        ("/api/v1/offers", deal.cliente),
        ("/api/v1/cliente/ofertas", deal.cliente),
        ("/api/v1/offers", deal.pro.session),
        ("/api/v1/professional/ofertas", deal.pro.session),
    ):
        listed = client.get(path, headers=who.headers)
        assert [o["id"] for o in listed.json()] == [body["id"]], path
    assert client.get(f"/api/v1/cliente/ofertas/{body['id']}", headers=deal.cliente.headers).json()["id"] == body["id"]
    # the v1 create path is the same handler
    again = client.post(
        "/api/v1/professional/ofertas",
        {
            "cliente_id": deal.cliente.user_id,
            "chat_id": deal.chat_id,
            "descripcion": "Otra cosa para hacer",
            "precio_final": 100,
        },
        content_type=JSON,
        headers=deal.pro.headers,
    )
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("precio_final", "0"),
        ("precio_final", "-10"),
        ("precio_final", "1000000000000"),
        ("precio_final", "12.345"),
        ("precio_final", "mucho"),
        ("descripcion", "corto"),
        ("descripcion", "          x         "),
        ("descripcion", "x" * 2001),
        ("expira_en_horas", 0),
        ("expira_en_horas", 100000),
    ],
)
def test_bad_oferta_terms_are_422_and_store_nothing(client, field, value):
    deal = new_deal(client)
    response = offer(client, deal, **{field: value})
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert not Oferta.objects.exists()


def test_the_configured_default_life_may_be_a_fraction_of_an_hour(client, settings):
    """The 1-hour floor binds what the professional chooses, not the configured default (the
    end-to-end tests run ofertas that live seconds)."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "OFERTA_DEFAULT_HOURS": 0.5}
    deal = new_deal(client)
    response = offer(client, deal)
    assert response.status_code == 201, response.content
    oferta = Oferta.objects.get(pk=response.json()["id"])
    assert oferta.expira_en - oferta.created_at == timedelta(minutes=30)


def test_a_client_cannot_make_ofertas_and_a_professional_cannot_accept_them(client):
    deal = new_deal(client)
    body = {
        "cliente_id": deal.cliente.user_id,
        "chat_id": deal.chat_id,
        "descripcion": "Lo hago yo mismo",
        "precio_final": 10,
    }
    assert (
        client.post("/api/v1/offers/create", body, content_type=JSON, headers=deal.cliente.headers).status_code == 403
    )
    oferta_id = offer(client, deal).json()["id"]
    for path in (f"/api/v1/offers/{oferta_id}/accept", f"/api/v1/offers/{oferta_id}/reject"):
        assert client.post(path, headers=deal.pro.headers).status_code == 403
    assert client.post(f"/api/v1/offers/{oferta_id}/withdraw", headers=deal.cliente.headers).status_code == 403
    assert Oferta.objects.get(pk=oferta_id).estado == "OFERTADO"


def test_a_professional_without_approved_kyc_cannot_offer(client):
    pair = new_pair(client)  # registered, not approved
    body = {
        "cliente_id": pair.cliente.user_id,
        "chat_id": pair.chat_id,
        "descripcion": "Arreglo de cañería",
        "precio_final": 10,
    }
    response = client.post("/api/v1/offers/create", body, content_type=JSON, headers=pair.pro.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "professional_not_eligible"


def test_ofertas_only_in_the_professionals_own_chat_with_that_client(client):
    deal, other = new_deal(client), new_deal(client, nombre="Otro")
    wrong_chat = {
        "cliente_id": deal.cliente.user_id,
        "chat_id": other.chat_id,
        "descripcion": "Arreglo general",
        "precio_final": 10,
    }
    assert (
        client.post("/api/v1/offers/create", wrong_chat, content_type=JSON, headers=deal.pro.headers).status_code == 404
    )
    wrong_client = {**wrong_chat, "chat_id": deal.chat_id, "cliente_id": other.cliente.user_id}
    assert (
        client.post("/api/v1/offers/create", wrong_client, content_type=JSON, headers=deal.pro.headers).status_code
        == 404
    )


def test_other_peoples_ofertas_are_not_found(client):
    deal, other = new_deal(client), new_deal(client, nombre="Otro")
    oferta_id = offer(client, deal).json()["id"]
    assert client.get(f"/api/v1/cliente/ofertas/{oferta_id}", headers=other.cliente.headers).status_code == 404
    for action in ("accept", "reject"):
        assert client.post(f"/api/v1/offers/{oferta_id}/{action}", headers=other.cliente.headers).status_code == 404
    assert client.post(f"/api/v1/offers/{oferta_id}/withdraw", headers=other.pro.headers).status_code == 404
    assert client.get("/api/v1/offers", headers=other.cliente.headers).json() == []
    assert Oferta.objects.get(pk=oferta_id).estado == "OFERTADO"


def test_reject_and_withdraw_decide_once(client):
    deal = new_deal(client)
    rejected = offer(client, deal).json()["id"]
    response = client.post(f"/api/v1/cliente/ofertas/{rejected}/reject", headers=deal.cliente.headers)
    assert (response.status_code, response.json()["estado"]) == (200, "RECHAZADO")
    again = client.post(f"/api/v1/offers/{rejected}/reject", headers=deal.cliente.headers)
    assert again.status_code == 400
    assert "RECHAZADO" in again.json()["detail"]

    withdrawn = offer(client, deal).json()["id"]
    response = client.post(f"/api/v1/offers/{withdrawn}/withdraw", headers=deal.pro.headers)
    assert (response.status_code, response.json()["estado"]) == (200, "RETIRADO")
    assert client.post(f"/api/v1/offers/{withdrawn}/accept", headers=deal.cliente.headers).status_code == 400
    assert published("marketplace.offer_rejected.v1", "marketplace")[0]["oferta_id"] == rejected
    assert published("marketplace.offer_withdrawn.v1", "marketplace")[0]["oferta_id"] == withdrawn
    texts = list(Message.objects.filter(chat_id=deal.chat_id, kind="sistema").values_list("text", flat=True))
    assert any("rechazó" in t for t in texts)
    assert any("retiró" in t for t in texts)


def test_expired_ofertas_cannot_be_acted_on_and_the_sweep_expires_them(client):
    deal = new_deal(client)
    old, fresh = offer(client, deal).json()["id"], offer(client, deal).json()["id"]
    Oferta.objects.filter(pk=old).update(expira_en=timezone.now() - timedelta(seconds=1))
    for action in ("accept", "reject"):
        response = client.post(f"/api/v1/offers/{old}/{action}", headers=deal.cliente.headers)
        assert response.status_code == 400
        assert "EXPIRADO" in response.json()["detail"]
    assert ofertas.ofertas_expire_due() == 1
    assert dict(Oferta.objects.values_list("pk", "estado")) == {
        Oferta.objects.get(pk=old).pk: "EXPIRADO",
        Oferta.objects.get(pk=fresh).pk: "OFERTADO",
    }
    assert published("marketplace.offer_expired.v1", "marketplace")[0]["oferta_id"] == old
    assert ofertas.ofertas_expire_due() == 0


def test_contact_details_in_a_descripcion_are_masked_and_count_as_an_infraction(client):
    deal = new_deal(client)
    response = offer(client, deal, descripcion="Te hago todo, llamame al 11 4567 8901 y arreglamos")
    assert response.status_code == 201
    assert "4567" not in response.json()["descripcion"]
    assert "4567" not in Message.objects.get(chat_id=deal.chat_id, kind="oferta").text
    assert ChatStanding.objects.get(user_id=deal.pro.session.user_id).infractions == 1
