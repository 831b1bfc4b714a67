"""Redis out of reach (cache, token denylist, login lockout counters): the API answers 503 with the
one error body and Retry-After, never a 500, and a refused login changes nothing."""

import pytest

from conectar.auth_ctx import facade as accounts
from conectar.platform.counters import window_counter
from tests.support.accounts import STRONG_PASSWORD, bearer, login
from tests.support.auth_ctx import access_token_for
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def account(django_user_model):
    return django_user_model.objects.create_user("apagon@example.com", STRONG_PASSWORD)


@pytest.fixture
def redis_down(settings):
    """Every Redis client of the web process points at a port nobody listens on."""
    nowhere = f"redis://127.0.0.1:{unused_port()}/0"
    settings.REDIS_URL = nowhere
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": nowhere}}
    window_counter.cache_clear()
    yield
    window_counter.cache_clear()


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response.json() == {
        "detail": "Un servicio necesario no está disponible; probá de nuevo en unos instantes.",
        "code": "service_unavailable",
    }
    assert int(response["Retry-After"]) > 0


def test_a_login_while_redis_is_down_is_503_and_records_nothing(client, account, redis_down):
    assert_unavailable(login(client, account.email, STRONG_PASSWORD))
    account.refresh_from_db()
    assert account.last_login is None


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/professional/ofertas"])
def test_an_authenticated_request_while_redis_is_down_is_503(client, account, redis_down, path):
    """The token denylist lives in Redis: DRF (users/me) and Ninja (ofertas) both say 503."""
    assert_unavailable(client.get(path, headers=bearer(access_token_for(account))))


def test_the_same_requests_succeed_with_redis_up(client, account):
    assert login(client, account.email, STRONG_PASSWORD).status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(access_token_for(account))).status_code == 200
    assert accounts.get_account(user_id=account.pk).last_login is not None
