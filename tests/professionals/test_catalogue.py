import pytest

from conectar.professionals.models import Oficio
from tests.support.accounts import admin_session, signed_up
from tests.support.professionals import seed_catalogue

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def catalogue():
    """The seeded catalogue, whatever ran before: a transactional test elsewhere flushes the
    database, migration data included, so these tests must not count on finding it."""
    seed_catalogue()


@pytest.fixture
def admin(client, django_user_model):
    return admin_session(client, django_user_model)


def post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", headers=headers)


def test_the_public_catalogue_has_a_realistic_argentine_list(client):
    names = {o["nombre"] for o in client.get("/api/v1/public/oficios").json()}
    assert len(names) >= 30
    assert {"Plomero", "Electricista", "Gasista matriculado", "Cerrajero", "Pintor", "Albañil"} <= names


def test_staff_add_oficios_with_unique_names(client, admin):
    response = post(
        client, "/api/v1/admin/oficios", {"nombre": "Afinador de pianos", "descripcion": "Afinación"}, admin.headers
    )
    assert response.status_code == 201
    assert response.json()["nombre"] == "Afinador de pianos"
    assert post(client, "/api/v1/admin/oficios", {"nombre": "AFINADOR DE PIANOS"}, admin.headers).status_code == 400
    assert post(client, "/api/v1/admin/oficios", {"nombre": "ab"}, admin.headers).status_code == 422
    assert "Afinador de pianos" in {
        o["nombre"] for o in client.get("/api/v1/admin/oficios", headers=admin.headers).json()
    }


def test_staff_add_instant_services_under_an_oficio(client, admin):
    pintor = Oficio.objects.get(nombre="Pintor")
    path = f"/api/v1/admin/oficios/{pintor.pk}/servicios-instant"
    before = [s["nombre"] for s in client.get(path, headers=admin.headers).json()]
    body = {"nombre": "Pintura de un ambiente", "oficio_id": str(pintor.pk), "precio_fijo": "90000"}
    response = post(client, "/api/v1/admin/servicios-instant", body, admin.headers)
    assert response.status_code == 201
    assert response.json()["precio_fijo"] == "90000.00"
    assert post(client, "/api/v1/admin/servicios-instant", body, admin.headers).status_code == 400
    unknown = {**body, "oficio_id": "00000000-0000-0000-0000-000000000009"}
    assert post(client, "/api/v1/admin/servicios-instant", unknown, admin.headers).status_code == 404
    listed = [s["nombre"] for s in client.get(path, headers=admin.headers).json()]
    assert sorted(listed) == sorted([*before, "Pintura de un ambiente"])  # this one added, nothing else


def test_catalogue_management_is_staff_only_and_reading_it_is_for_anyone_logged_in(client):
    someone = signed_up(client)
    assert post(client, "/api/v1/admin/oficios", {"nombre": "Cualquiera"}, someone.headers).status_code == 403
    assert client.get("/api/v1/admin/oficios", headers=someone.headers).status_code == 200  # as v1 (§ 6.9)
    assert client.get("/api/v1/admin/oficios").status_code == 401
    pintor = Oficio.objects.get(nombre="Pintor")
    body = {"nombre": "Algo", "oficio_id": str(pintor.pk)}
    assert post(client, "/api/v1/admin/servicios-instant", body, someone.headers).status_code == 403
    assert (
        client.get(f"/api/v1/admin/oficios/{pintor.pk}/servicios-instant", headers=someone.headers).status_code == 200
    )
    assert client.get(f"/api/v1/admin/oficios/{pintor.pk}/servicios-instant").status_code == 401
