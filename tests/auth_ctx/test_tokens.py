"""Token lifecycle and revocation, on DRF (/users/me) and Ninja (/session) routes alike."""

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.accounts import STRONG_PASSWORD, admin_session, bearer, login, signed_up
from tests.support.concurrency import run_concurrently

pytestmark = pytest.mark.django_db(databases="__all__")

PROTECTED = ["/api/v1/users/me", "/api/v1/session"]  # DRF, Ninja


def works(client, token) -> dict[str, int]:
    return {path: client.get(path, headers=bearer(token)).status_code for path in PROTECTED}


ALL_OK = dict.fromkeys(PROTECTED, 200)
ALL_401 = dict.fromkeys(PROTECTED, 401)


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", {"refresh_token": token}, content_type="application/json")


def test_a_fresh_access_token_works_on_both_frameworks(client):
    me = signed_up(client)
    assert works(client, me.access) == ALL_OK


def test_refresh_rotates_and_the_old_refresh_token_dies(client):
    me = signed_up(client)
    first = refresh(client, me.refresh)
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != me.refresh
    assert works(client, pair["access_token"]) == ALL_OK
    again = refresh(client, me.refresh)
    assert again.status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 200


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_two_concurrent_refreshes_of_one_token_yield_one_new_pair():
    me = signed_up(Client())
    statuses = run_concurrently(lambda: refresh(Client(), me.refresh).status_code, times=5)
    assert sorted(statuses) == [200, 401, 401, 401, 401]


def test_logout_kills_that_refresh_token_and_the_presented_access_token_at_once(client):
    me = signed_up(client)
    other_session = login(client, me.email).json()
    response = client.post(
        "/api/v1/auth/logout", {"refresh_token": me.refresh}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 204
    assert works(client, me.access) == ALL_401
    assert refresh(client, me.refresh).status_code == 401
    assert works(client, other_session["access_token"]) == ALL_OK, "only that session ends"


def test_logout_with_someone_elses_refresh_token_is_refused(client):
    me, them = signed_up(client), signed_up(client)
    response = client.post(
        "/api/v1/auth/logout", {"refresh_token": them.refresh}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 401
    assert refresh(client, them.refresh).status_code == 200


def test_a_password_change_kills_every_earlier_token(client):
    me = signed_up(client)
    second = login(client, me.email).json()
    response = client.patch(
        "/api/v1/users/me/password",
        {"current_password": STRONG_PASSWORD, "new_password": "Nueva-Clave-Segura-77"},
        content_type="application/json",
        headers=me.headers,
    )
    assert response.status_code == 200
    fresh = response.json()
    for token in (me.access, second["access_token"]):
        assert works(client, token) == ALL_401
    for token in (me.refresh, second["refresh_token"]):
        assert refresh(client, token).status_code == 401
    assert works(client, fresh["access_token"]) == ALL_OK
    assert login(client, me.email, "Nueva-Clave-Segura-77").status_code == 200


def test_a_ban_kills_every_earlier_token_and_unban_does_not_revive_them(client, django_user_model):
    me = signed_up(client)
    admin = admin_session(client, django_user_model)
    assert client.post(f"/api/v1/admin/users/{me.user_id}/ban", headers=admin.headers).status_code == 200
    assert works(client, me.access) == ALL_401
    assert refresh(client, me.refresh).status_code == 401
    assert client.post(f"/api/v1/admin/users/{me.user_id}/unban", headers=admin.headers).status_code == 200
    assert works(client, me.access) == ALL_401
    assert login(client, me.email).status_code == 200


def test_a_deleted_accounts_token_is_401(client, django_user_model):
    me = signed_up(client)
    django_user_model.objects.filter(pk=me.user_id).delete()
    assert works(client, me.access) == ALL_401


def test_a_validly_signed_token_without_a_proper_account_id_is_401(client):
    """Only our key signs tokens, but a subject that is not an account id must still be a 401, not a 500."""
    me = signed_up(client)
    for subject in ("not-a-uuid", "", 42):
        token = AccessToken(me.access)
        token[settings.SIMPLE_JWT["USER_ID_CLAIM"]] = subject
        assert works(client, str(token)) == ALL_401


def _forge(claims: dict, key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_an_expired_token_is_401(client, django_user_model):
    me = signed_up(client)
    token = AccessToken(me.access)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert works(client, str(token)) == ALL_401


def test_a_token_signed_with_another_key_is_401(client):
    me = signed_up(client)
    assert works(client, _forge(_claims_of(me.access), "x" * 64)) == ALL_401


def test_alg_none_is_401(client):
    me = signed_up(client)
    unsigned = _forge(_claims_of(me.access), "", algorithm="none")
    assert works(client, unsigned) == ALL_401


def test_a_truncated_token_is_401(client):
    me = signed_up(client)
    assert works(client, me.access[:-10]) == ALL_401


def test_a_refresh_token_is_not_an_access_token(client):
    me = signed_up(client)
    assert works(client, me.refresh) == ALL_401


def test_an_access_token_cannot_refresh(client):
    me = signed_up(client)
    assert refresh(client, me.access).status_code == 401


def test_the_token_carries_role_and_version_and_the_configured_lifetime(client):
    me = signed_up(client, rol="PROFESIONAL")
    claims = _claims_of(me.access)
    assert claims["rol"] == "PROFESIONAL"
    assert claims["tv"] == 0
    assert claims["exp"] - claims["iat"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert claims["exp"] > time.time()


class TestInternalValidate:
    PATH = "/api/v1/internal/auth/validate"

    @pytest.fixture(autouse=True)
    def keys(self, settings):
        settings.INTERNAL_SERVICE_KEYS = ["svc-key-marketplace-0123456789", "svc-key-payments-0123456789"]

    def call(self, client, token, key=None):
        headers = {"X-Service-Key": key} if key else {}
        return client.post(self.PATH, {"token": token}, content_type="application/json", headers=headers)

    def test_a_valid_service_key_gets_the_claims(self, client):
        me = signed_up(client, rol="PROFESIONAL")
        response = self.call(client, me.access, key="svc-key-payments-0123456789")
        assert response.status_code == 200
        assert response.json() == {"user_id": me.user_id, "rol": "PROFESIONAL", "is_active": True}

    def test_a_revoked_token_is_401_to_services_too(self, client):
        me = signed_up(client)
        client.post(
            "/api/v1/auth/logout", {"refresh_token": me.refresh}, content_type="application/json", headers=me.headers
        )
        assert self.call(client, me.access, key="svc-key-payments-0123456789").status_code == 401

    @pytest.mark.parametrize("key", [None, "wrong-key", "svc-key-payments-012345678"])
    def test_missing_or_wrong_service_key_is_401(self, client, key):
        me = signed_up(client)
        response = self.call(client, me.access, key=key)
        assert response.status_code == 401
        assert "user_id" not in response.json()

    def test_a_user_token_is_not_a_service_key(self, client):
        me = signed_up(client)
        response = client.post(self.PATH, {"token": me.access}, content_type="application/json", headers=me.headers)
        assert response.status_code == 401
