import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from conectar.marketplace.contracts import Actor, ReviewPublished, ReviewReplied, WorkCompleted
from conectar.platform.events import publish
from conectar.shared.clock import utcnow
from tests.support.events import deliver_outbox
from tests.support.professionals import matchable_professional, new_professional, oficio

pytestmark = pytest.mark.django_db(databases="__all__")


def test_a_matchable_professional_has_a_public_profile_with_published_reviews(client):
    pro = matchable_professional(client, nombre="Lucía", apellido="Ferro", tarifa=20000)
    resena = uuid.uuid4()
    client_account = uuid.uuid4()
    with transaction.atomic(using="marketplace"):
        publish(
            ReviewPublished(
                resena_id=resena,
                trabajo_id=uuid.uuid4(),
                autor_id=client_account,
                autor_rol=Actor.CLIENTE,
                destinatario_id=uuid.UUID(pro.session.user_id),
                profesional_id=uuid.UUID(pro.session.user_id),
                rating=5,
                texto="Impecable y puntual",
                autor_nombre="Marta",
                created_at=utcnow(),
            )
        )
        publish(ReviewReplied(resena_id=resena, profesional_id=uuid.UUID(pro.session.user_id), texto="¡Gracias Marta!"))
    deliver_outbox()

    response = client.get(f"/api/v1/public/professional/{pro.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["nombre"], body["apellido"], body["tarifa_por_hora"]) == ("Lucía", "Ferro", "20000.00")
    assert (body["rating_promedio"], body["total_resenas"]) == (5.0, 1)  # a JSON number, as v1
    assert [o["nombre"] for o in body["oficios"]] == ["Plomero"]
    assert body["portfolio"] == []
    assert body["resenas"][0]["texto"] == "Impecable y puntual"
    assert body["resenas"][0]["respuesta"] == "¡Gracias Marta!"
    text = response.content.decode()
    assert pro.session.email not in text
    assert str(client_account) not in text, "no client ids"
    assert "usuario_id" not in body


def test_the_public_profile_carries_what_the_frontends_pages_read(client):
    """V1-CONTRACT § 4.3: trabajos_completados (finished trabajos, redeliveries counted once), the
    instant services, and the other profile page's user / nivel_experiencia / portfolio_items."""
    pro = matchable_professional(client, nombre="Lucía", apellido="Ferro")
    servicio = oficio("Plomero").servicios.first()
    client.put(
        "/api/v1/professional/profile/servicios-instant",
        {"servicio_ids": [str(servicio.pk)]},
        content_type="application/json",
        headers=pro.headers,
    )
    assert client.get(f"/api/v1/public/professional/{pro.id}").json()["trabajos_completados"] == 0
    finished = [
        WorkCompleted(
            trabajo_id=uuid.uuid4(),
            cliente_id=uuid.uuid4(),
            profesional_id=uuid.UUID(pro.session.user_id),
            precio_final=Decimal("10000.00"),
            tasa_comision=Decimal("0.20"),
            comision_plataforma=Decimal("2000.00"),
            monto_liberado=Decimal("8000.00"),
        )
        for _ in range(2)
    ]
    with transaction.atomic(using="marketplace"):
        for event in finished:
            publish(event)
    deliver_outbox(to={"professionals"})

    body = client.get(f"/api/v1/public/professional/{pro.id}").json()
    assert body["trabajos_completados"] == 2
    assert [(s["id"], s["nombre"]) for s in body["servicios_instantaneos"]] == [(str(servicio.pk), servicio.nombre)]
    assert (body["nombre_completo"], body["kyc_estado"]) == ("Lucía Ferro", "APROBADO")
    assert body["user"] == {"nombre": "Lucía", "apellido": "Ferro", "avatar_url": body["avatar_url"]}
    assert (body["nivel_experiencia"], body["portfolio_items"], body["biografia"]) == (body["nivel"], [], None)


def test_no_public_profile_unless_matchable(client):
    pro = new_professional(client)
    assert client.get(f"/api/v1/public/professional/{pro.id}").status_code == 404
    assert client.get(f"/api/v1/public/professional/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/public/professional/no-es-un-id").status_code in {404, 422}
