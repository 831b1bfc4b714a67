"""Reviews: once per side, inside the window, double-blind until both spoke or the window closed,
one public reply by the professional; publishing feeds the professional's rating."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conectar.marketplace.contracts import EstadoEscrow
from conectar.marketplace.models import Resena, Trabajo
from conectar.marketplace.services import resenas
from tests.marketplace.deals import new_deal, trabajo_in
from tests.marketplace.helpers import JSON
from tests.support.events import deliver_outbox, published

pytestmark = pytest.mark.django_db(databases="__all__")


def review(client, who, trabajo, rating=5, texto="Impecable, muy prolijo", *, v1=False):
    path = f"/api/v1/cliente/trabajo/{trabajo.pk}/resena" if v1 else f"/api/v1/trabajo/{trabajo.pk}/resena"
    return client.post(path, {"rating": rating, "texto_resena": texto}, content_type=JSON, headers=who.headers)


def test_reviews_stay_hidden_until_both_sides_reviewed(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    first = review(client, deal.cliente, trabajo, 5, v1=True)
    assert first.status_code == 201, first.content
    assert first.json()["resena"]["publicada"] is False
    assert not published("marketplace.review_published.v1", "marketplace")
    assert published("marketplace.review_created.v1", "marketplace")[0]["rating"] == 5
    # the professional cannot see the client's review yet, nor reply to it
    resena_id = first.json()["resena"]["id"]
    reply = client.post(
        f"/api/v1/resenas/{resena_id}/respuesta", {"texto": "Gracias!"}, content_type=JSON, headers=deal.pro.headers
    )
    assert reply.status_code == 404

    second = review(client, deal.pro.session, trabajo, 4, "Cliente muy amable")
    assert second.status_code == 201
    assert second.json()["resena"]["publicada"] is True
    events = published("marketplace.review_published.v1", "marketplace")
    assert sorted((e["autor_rol"], e["rating"]) for e in events) == [("CLIENTE", 5), ("PROFESIONAL", 4)]
    assert Resena.objects.filter(publicada_at__isnull=True).count() == 0

    deliver_outbox(to={"professionals"})  # the professionals context turns the client's review into rating
    professional = deal.pro.refresh()
    assert (professional.rating_promedio, professional.total_resenas) == (Decimal("5.00"), 1)


def test_the_window_closing_publishes_a_lone_review(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.RESUELTO)
    assert review(client, deal.cliente, trabajo, 2, "No terminó a tiempo").status_code == 201
    assert resenas.resenas_publish_due() == 0  # still inside the window
    Trabajo.objects.filter(pk=trabajo.pk).update(resenas_hasta=timezone.now() - timedelta(seconds=1))
    assert resenas.resenas_publish_due() == 1
    (event,) = published("marketplace.review_published.v1", "marketplace")
    assert (event["rating"], event["autor_nombre"]) == (2, "Ana G.")
    assert resenas.resenas_publish_due() == 0


def test_one_review_per_side_and_only_inside_the_window_of_a_closed_trabajo(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    assert review(client, deal.cliente, trabajo).status_code == 201
    again = review(client, deal.cliente, trabajo)
    assert (again.status_code, again.json()["code"]) == (400, "already_reviewed")

    late = trabajo_in(deal, EstadoEscrow.LIBERADO)
    Trabajo.objects.filter(pk=late.pk).update(resenas_hasta=timezone.now() - timedelta(seconds=1))
    response = review(client, deal.cliente, late)
    assert (response.status_code, response.json()["code"]) == (400, "review_window_closed")

    for estado in (EstadoEscrow.PAGADO_EN_ESCROW, EstadoEscrow.ENTREGADO, EstadoEscrow.CANCELADO_REEMBOLSADO):
        response = review(client, deal.cliente, trabajo_in(deal, estado))
        assert (response.status_code, response.json()["code"]) == (400, "not_reviewable"), estado
    assert Resena.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1, "cinco", None, 4.5])
def test_a_rating_out_of_range_is_422(client, rating):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    response = client.post(
        f"/api/v1/trabajo/{trabajo.pk}/resena", {"rating": rating}, content_type=JSON, headers=deal.cliente.headers
    )
    assert response.status_code == 422
    assert not Resena.objects.exists()


def test_a_text_over_2000_chars_is_422(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    response = review(client, deal.cliente, trabajo, 5, "x" * 2001)
    assert (response.status_code, list(response.json()["fields"])) == (422, ["texto_resena"])


def test_strangers_cannot_review_and_the_professional_replies_once(client):
    deal, other = new_deal(client), new_deal(client, nombre="Otro")
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    assert review(client, other.cliente, trabajo).status_code == 404
    resena_id = review(client, deal.cliente, trabajo).json()["resena"]["id"]
    review(client, deal.pro.session, trabajo, 5, "Excelente cliente")

    path = f"/api/v1/resenas/{resena_id}/respuesta"
    assert client.post(path, {"texto": "No es mía"}, content_type=JSON, headers=other.pro.headers).status_code == 404
    assert (
        client.post(path, {"texto": "Soy cliente"}, content_type=JSON, headers=deal.cliente.headers).status_code == 403
    )
    first = client.post(path, {"texto": "¡Gracias por confiar!"}, content_type=JSON, headers=deal.pro.headers)
    assert (first.status_code, first.json()["respuesta"]) == (200, "¡Gracias por confiar!")
    second = client.post(path, {"texto": "Otra vez"}, content_type=JSON, headers=deal.pro.headers)
    assert (second.status_code, second.json()["code"]) == (400, "already_replied")
    (event,) = published("marketplace.review_replied.v1", "marketplace")
    assert event["texto"] == "¡Gracias por confiar!"


def test_the_v1_frontends_comentario_is_the_review_text(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, EstadoEscrow.LIBERADO)
    response = client.post(
        f"/api/v1/cliente/trabajo/{trabajo.pk}/resena",
        {"rating": 4, "comentario": "Muy prolijo"},
        content_type=JSON,
        headers=deal.cliente.headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["resena"]["texto_resena"] == "Muy prolijo"
    assert Resena.objects.get(trabajo=trabajo).texto == "Muy prolijo"
