import uuid

import pytest
from django.db import transaction

from conectar.marketplace.contracts import Actor, ReviewPublished, ReviewReplied
from conectar.platform.events import publish
from conectar.shared.clock import utcnow
from tests.support.events import deliver_outbox
from tests.support.professionals import matchable_professional, new_professional

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


def test_no_public_profile_unless_matchable(client):
    pro = new_professional(client)
    assert client.get(f"/api/v1/public/professional/{pro.id}").status_code == 404
    assert client.get(f"/api/v1/public/professional/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/public/professional/no-es-un-id").status_code in {404, 422}
