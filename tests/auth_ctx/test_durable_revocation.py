"""A logout outlives the cache: the denied access token is recorded in auth_ctx's database, the
Redis cache only answers sooner. Redis is really flushed (FLUSHDB on this session's cache db)."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from conectar.auth_ctx.models import DeniedAccessToken
from tests.support.accounts import bearer, signed_up
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")

PROTECTED = ["/api/v1/users/me", "/api/v1/session"]  # DRF, Ninja


def statuses(client, token) -> dict[str, int]:
    return {path: client.get(path, headers=bearer(token)).status_code for path in PROTECTED}


def logout(client, session):
    response = client.post(
        "/api/v1/auth/logout",
        {"refresh_token": session.refresh},
        content_type="application/json",
        headers=session.headers,
    )
    assert response.status_code == 204, response.content


def flush_redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def test_a_logged_out_token_stays_refused_after_redis_is_flushed(client, django_assert_num_queries):
    me, other = signed_up(client), signed_up(client)
    logout(client, me)
    flush_redis()
    assert statuses(client, me.access) == dict.fromkeys(PROTECTED, 401)
    assert statuses(client, other.access) == dict.fromkeys(PROTECTED, 200), "a cache miss is no denial"
    # read through: the refusal put the denial back in the cache, so the next check needs no SQL
    with django_assert_num_queries(0):
        assert statuses(client, me.access) == dict.fromkeys(PROTECTED, 401)


def test_logout_is_announced_for_the_sockets_of_the_account(client):
    me = signed_up(client)
    logout(client, me)
    assert [e["user_id"] for e in published("auth_ctx.user_logged_out.v1", "default")] == [me.user_id]


def test_denials_of_expired_tokens_are_purged_by_the_next_logout(client):
    gone, me = signed_up(client), signed_up(client)
    DeniedAccessToken.objects.create(
        jti="expired-yesterday", account_id=gone.user_id, expires_at=timezone.now() - timedelta(days=1)
    )
    logout(client, me)
    assert list(DeniedAccessToken.objects.values_list("jti", flat=True)) == [AccessToken(me.access)["jti"]]
