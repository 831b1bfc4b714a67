import pytest
from django.contrib.auth.hashers import make_password

from conectar.platform.eventbus.models import OutboxEvent
from tests.support.accounts import STRONG_PASSWORD, login, register

pytestmark = pytest.mark.django_db(databases="__all__")


def post_json(client, path, body):
    return client.post(path, body, content_type="application/json")


class TestRegister:
    def test_answers_the_v1_user_body_and_publishes_user_registered(self, client):
        body = register(client, email="  Nueva.Persona@Example.COM ", rol="PROFESIONAL", nombre="Luis", apellido="Paz")
        assert body["email"] == "nueva.persona@example.com"
        assert body["nombre"] == "Luis"
        assert body["apellido"] == "Paz"
        assert body["rol"] == "PROFESIONAL"
        assert body["es_profesional"] is True
        assert body["es_cliente"] is False
        assert body["es_admin"] is False
        assert body["is_active"] is True
        assert body["avatar_url"] is None
        assert {"id", "fecha_creacion"} <= set(body)
        event = OutboxEvent.objects.using("default").get(event_type="auth_ctx.user_registered.v1")
        assert event.envelope["payload"]["user_id"] == body["id"]
        assert event.envelope["payload"]["nombre"] == "Luis"

    def test_duplicate_email_is_409_whatever_its_case(self, client):
        register(client, email="dup@example.com")
        response = post_json(
            client,
            "/api/v1/auth/register",
            {"email": "DUP@example.com", "password": STRONG_PASSWORD, "nombre": "A", "apellido": "B"},
        )
        assert response.status_code == 400
        assert response.json()["code"] == "email_taken"

    @pytest.mark.parametrize(
        ("patch", "field"),
        [
            ({"email": "not-an-email"}, "email"),
            ({"email": None}, "email"),
            ({"nombre": ""}, "nombre"),
            ({"rol": "ADMIN"}, "rol"),
            ({"rol": "JEFE"}, "rol"),
        ],
    )
    def test_bad_fields_are_422_naming_the_field(self, client, patch, field):
        body = {"email": "ok@example.com", "password": STRONG_PASSWORD, "nombre": "A", "apellido": "B", **patch}
        body = {k: v for k, v in body.items() if v is not None}
        response = post_json(client, "/api/v1/auth/register", body)
        assert response.status_code == 422
        assert field in response.json()["fields"]
        assert not OutboxEvent.objects.using("default").exists(), "nothing half-written"

    def test_weak_password_is_422_listing_every_validator_message(self, client):
        response = post_json(
            client,
            "/api/v1/auth/register",
            {"email": "weak@example.com", "password": "1234567", "nombre": "A", "apellido": "B"},
        )
        assert response.status_code == 422
        messages = response.json()["fields"]["password"]
        assert len(messages) >= 3  # too short, too common, entirely numeric

    def test_a_form_body_is_415(self, client):
        response = client.post(
            "/api/v1/auth/register",
            "email=a%40example.com&password=x&nombre=a&apellido=b",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 415


class TestLogin:
    def test_json_login_answers_the_token_pair(self, client, settings):
        user = register(client)
        response = login(client, user["email"].upper())
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 60 * 60
        assert body["access_token"]
        assert body["refresh_token"]

    def test_v1_form_login_takes_username_and_password(self, client):
        user = register(client)
        response = client.post(
            "/api/v1/auth/login",
            f"username={user['email']}&password={STRONG_PASSWORD}",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        assert response.json()["access_token"]

    def test_json_with_form_field_names_is_422(self, client):
        user = register(client)
        response = post_json(client, "/api/v1/auth/login", {"username": user["email"], "password": STRONG_PASSWORD})
        assert response.status_code == 422
        assert "email" in response.json()["fields"]

    def test_form_with_json_field_names_is_422(self, client):
        user = register(client)
        response = client.post(
            "/api/v1/auth/login",
            f"email={user['email']}&password={STRONG_PASSWORD}",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 422
        assert "username" in response.json()["fields"]

    def test_wrong_password_and_unknown_email_answer_alike(self, client):
        user = register(client)
        wrong = login(client, user["email"], "Otra-Clave-9999")
        unknown = login(client, "nadie@example.com", "Otra-Clave-9999")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["code"] == "invalid_credentials"

    def test_a_banned_account_cannot_log_in(self, client, django_user_model):
        user = register(client)
        django_user_model.objects.filter(email=user["email"]).update(is_active=False)
        assert login(client, user["email"]).status_code == 401

    def test_login_publishes_user_logged_in(self, client):
        user = register(client)
        login(client, user["email"])
        event = OutboxEvent.objects.using("default").get(event_type="auth_ctx.user_logged_in.v1")
        assert event.envelope["payload"]["user_id"] == user["id"]


class TestPasswordHashing:
    @pytest.fixture
    def real_hashers(self, settings):
        from conectar import settings as production

        settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS

    def test_new_passwords_use_argon2id_with_owasp_parameters(self, client, django_user_model, real_hashers):
        user = register(client)
        stored = django_user_model.objects.get(email=user["email"]).password
        assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")

    @pytest.mark.parametrize("old_hasher", ["pbkdf2_sha256", "argon2"])
    def test_older_hashes_upgrade_on_login(self, client, django_user_model, real_hashers, old_hasher):
        from django.contrib.auth.hashers import Argon2PasswordHasher

        if old_hasher == "argon2":  # Django's own argon2 parameters, not OWASP's
            stale = Argon2PasswordHasher().encode(STRONG_PASSWORD, Argon2PasswordHasher().salt())
        else:
            stale = make_password(STRONG_PASSWORD, hasher=old_hasher)
        account = django_user_model.objects.create_user("legacy@example.com", None)
        django_user_model.objects.filter(pk=account.pk).update(password=stale)

        assert login(client, "legacy@example.com").status_code == 200
        upgraded = django_user_model.objects.get(pk=account.pk).password
        assert upgraded != stale
        assert upgraded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
