"""A professional who has just signed up is a professional at once: their first request starts the
profile when the registration event has not reached the professionals context yet, and the event,
when it arrives, finds it there (one profile, one ProfessionalCreated, the names filled in)."""

import pytest

from conectar.professionals.models import Professional
from tests.support.accounts import signed_up
from tests.support.concurrency import run_concurrently
from tests.support.events import deliver_outbox, published

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)
JSON = "application/json"


def test_the_first_request_before_the_registration_event_finds_a_professional(client):
    pro = signed_up(client, rol="PROFESIONAL", nombre="Rosa", apellido="Paz")
    assert not Professional.objects.filter(usuario_id=pro.user_id).exists()  # the event is still queued

    located = client.put(
        "/api/v1/professional/location",
        {"latitude": -34.58, "longitude": -58.42},
        content_type=JSON,
        headers=pro.headers,
    )
    assert located.status_code == 200, located.content
    me = client.get("/api/v1/professional/me", headers=pro.headers)
    assert me.status_code == 200
    assert me.json()["usuario_id"] == pro.user_id

    deliver_outbox()  # the registration event arrives late
    professional = Professional.objects.get(usuario_id=pro.user_id)
    assert (professional.nombre, professional.apellido) == ("Rosa", "Paz")
    assert professional.location is not None, "the late event keeps what the first request set"
    created = [
        e for e in published("professionals.professional_created.v1", "professionals") if e["usuario_id"] == pro.user_id
    ]
    assert len(created) == 1


def test_concurrent_first_requests_start_one_profile(client):
    pro = signed_up(client, rol="PROFESIONAL")

    responses = run_concurrently(lambda: client.get("/api/v1/professional/kyc", headers=pro.headers), times=4)

    assert [r.status_code for r in responses] == [200] * 4
    assert Professional.objects.filter(usuario_id=pro.user_id).count() == 1
    created = [
        e for e in published("professionals.professional_created.v1", "professionals") if e["usuario_id"] == pro.user_id
    ]
    assert len(created) == 1


def test_a_client_is_still_not_a_professional(client):
    cliente = signed_up(client)
    response = client.get("/api/v1/professional/me", headers=cliente.headers)
    assert response.status_code == 403
    assert not Professional.objects.filter(usuario_id=cliente.user_id).exists()
