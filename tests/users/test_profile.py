import threading

import pytest
from django.db import connections, transaction
from django.test import Client

from conectar.users import services
from conectar.users.models import Profile
from tests.support.accounts import bearer, register, signed_up
from tests.support.auth_ctx import access_token_for
from tests.support.events import deliver_outbox
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_registration_creates_the_profile_through_the_event(worker):
    client = Client()
    user = register(client, nombre="Carla", apellido="Suárez")
    profile = wait_until(lambda: Profile.objects.filter(pk=user["id"]).first(), message="the profile")
    assert (profile.nombre, profile.apellido) == ("Carla", "Suárez")


def test_me_composes_account_and_profile(client):
    me = signed_up(client)
    Profile.objects.create(pk=me.user_id, nombre="Ana", apellido="García", telefono="+54 9 11 5555-0000")
    body = client.get("/api/v1/users/me", headers=me.headers).json()
    assert body["id"] == me.user_id
    assert body["email"] == me.email
    assert body["nombre"] == "Ana"
    assert body["telefono"] == "+54 9 11 5555-0000"
    assert body["rol"] == "CLIENTE"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_partial_updates_change_only_what_is_sent(client, method):
    me = signed_up(client)
    Profile.objects.create(pk=me.user_id, nombre="Ana", apellido="García")
    response = getattr(client, method)(
        "/api/v1/users/me", {"telefono": "011 4321-9876"}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["nombre"], body["apellido"], body["telefono"]) == ("Ana", "García", "011 4321-9876")


def test_an_update_before_the_registration_event_starts_the_profile(client):
    me = signed_up(client)
    response = client.patch(
        "/api/v1/users/me", {"nombre": "Beto", "apellido": "Ruiz"}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 200
    assert Profile.objects.get(pk=me.user_id).nombre == "Beto"


def test_a_phone_sent_before_the_registration_event_keeps_the_names_coming(client):
    """The app sets the phone right after sign-up, often before the registration event is handled."""
    me = signed_up(client, nombre="Carla", apellido="Suárez")
    response = client.put(
        "/api/v1/users/me", {"telefono": "+54 9 11 5555-0101"}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 200, response.content
    deliver_outbox()  # now the registration event arrives
    profile = Profile.objects.get(pk=me.user_id)
    assert (profile.nombre, profile.apellido, profile.telefono) == ("Carla", "Suárez", "+54 9 11 5555-0101")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_phone_sent_while_the_registration_event_inserts_the_profile(django_user_model):
    """The event's handler inserts the profile in its own transaction while the person's update is
    starting it too: the update waits for that row and changes it, instead of failing (500)."""
    account = django_user_model.objects.create_user("carla@example.com", "Tornillo-Azul-2024")  # no event
    inserted, handler_done = threading.Event(), threading.Event()

    def handler():  # the registration handler, its transaction held open until the update waits on it
        with transaction.atomic(using="users"):
            services.profile_create(user_id=account.pk, nombre="Carla", apellido="Suárez")
            inserted.set()
            wait_until(_an_update_waits_on_a_lock, timeout=10, message="the update waiting on the new row")
        connections.close_all()
        handler_done.set()

    thread = threading.Thread(target=handler)
    thread.start()
    assert inserted.wait(10)
    response = Client().put(
        "/api/v1/users/me",
        {"telefono": "+54 9 11 5555-0101"},
        content_type="application/json",
        headers=bearer(access_token_for(account)),
    )
    thread.join()
    assert handler_done.is_set()
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(pk=account.pk)
    assert (profile.nombre, profile.apellido, profile.telefono) == ("Carla", "Suárez", "+54 9 11 5555-0101")


def _an_update_waits_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [connections["users"].settings_dict["NAME"]],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({"telefono": "llamame"}, "telefono"), ({"nombre": ""}, "nombre"), ({"apellido": "x" * 101}, "apellido")],
)
def test_invalid_fields_are_422(client, body, field):
    me = signed_up(client)
    response = client.patch("/api/v1/users/me", body, content_type="application/json", headers=me.headers)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_me_needs_a_token(client):
    assert client.get("/api/v1/users/me").status_code == 401


def test_password_change_needs_the_current_password(client):
    me = signed_up(client)
    response = client.patch(
        "/api/v1/users/me/password",
        {"current_password": "no-es-esta", "new_password": "Nueva-Clave-Segura-77"},
        content_type="application/json",
        headers=me.headers,
    )
    assert response.status_code == 422
    assert "current_password" in response.json()["fields"]


def test_the_v1_change_password_alias_is_post_only(client):
    me = signed_up(client)
    response = client.patch("/api/v1/users/me/change-password", {}, content_type="application/json", headers=me.headers)
    assert response.status_code == 405
