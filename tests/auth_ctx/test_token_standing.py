"""The account's standing cached in Redis (conectar.platform.token_standing): authenticated requests
run no SQL, yet a ban, a password change, a logout or a role change hold from the very next request,
also when a reader's fill races the write, after a flush, and never with Redis out of reach."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx import services, tokens
from conectar.auth_ctx.models import Account
from conectar.platform import breakers, token_standing
from conectar.platform.ratelimit import BREAKER
from conectar.platform.token_standing import Standing
from tests.support.accounts import STRONG_PASSWORD, admin_session, bearer, signed_up
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(databases="__all__")

PROTECTED = ["/api/v1/users/me", "/api/v1/session"]  # DRF, Ninja
ALL_OK = dict.fromkeys(PROTECTED, 200)
ALL_401 = dict.fromkeys(PROTECTED, 401)


def works(client, token) -> dict[str, int]:
    return {path: client.get(path, headers=bearer(token)).status_code for path in PROTECTED}


def flush_redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def ban(user_id, by) -> None:
    accounts.ban(user_id=user_id, by=by)


# --- exact on every write, with the standing cached -----------------------------------------------------


def test_a_checked_token_needs_no_sql_the_next_time(client, django_assert_num_queries):
    me = signed_up(client)
    assert client.get("/api/v1/session", headers=me.headers).status_code == 200  # fills the cache
    with django_assert_num_queries(0):
        assert client.get("/api/v1/session", headers=me.headers).json()["rol"] == "CLIENTE"


def test_a_ban_refuses_the_very_next_request_with_the_standing_cached(client, django_user_model):
    me = signed_up(client)
    admin = admin_session(client, django_user_model)
    assert works(client, me.access) == ALL_OK  # cached now
    assert client.post(f"/api/v1/admin/users/{me.user_id}/ban", headers=admin.headers).status_code == 200
    assert works(client, me.access) == ALL_401
    flush_redis()
    assert works(client, me.access) == ALL_401, "a flushed cache revives no banned token"


def test_a_password_change_refuses_the_old_token_at_once_and_serves_the_new_one(client):
    me = signed_up(client)
    assert works(client, me.access) == ALL_OK
    response = client.patch(
        "/api/v1/users/me/password",
        {"current_password": STRONG_PASSWORD, "new_password": "Nueva-Clave-Segura-77"},
        content_type="application/json",
        headers=me.headers,
    )
    assert response.status_code == 200
    assert works(client, me.access) == ALL_401
    assert works(client, response.json()["access_token"]) == ALL_OK


def test_a_logout_refuses_its_token_at_once_and_after_a_flush(client):
    me = signed_up(client)
    assert works(client, me.access) == ALL_OK
    response = client.post(
        "/api/v1/auth/logout", {"refresh_token": me.refresh}, content_type="application/json", headers=me.headers
    )
    assert response.status_code == 204
    assert works(client, me.access) == ALL_401
    flush_redis()
    assert works(client, me.access) == ALL_401


def test_a_new_role_and_staff_status_show_on_the_next_request(client):
    me = signed_up(client)
    assert client.get("/api/v1/session", headers=me.headers).json()["rol"] == "CLIENTE"  # cached now
    accounts.ensure_admin(email=me.email, password=STRONG_PASSWORD)
    token = tokens.issue_pair(Account.objects.get(pk=me.user_id)).access_token
    session = client.get("/api/v1/session", headers=bearer(token)).json()
    assert (session["rol"], session["is_staff"]) == ("ADMIN", True)


def test_unban_does_not_revive_the_tokens_the_ban_killed(client, django_user_model):
    me = signed_up(client)
    admin = admin_session(client, django_user_model)
    ban(me.user_id, admin.user_id)
    assert works(client, me.access) == ALL_401  # the banned standing is cached
    accounts.unban(user_id=me.user_id, by=admin.user_id)
    assert works(client, me.access) == ALL_401, "the ban bumped the token version"


# --- a reader's fill racing a writer ----------------------------------------------------------------------


def _standing_now(me) -> Standing:
    """What a reader read from the database: the account's standing as committed right now."""
    account = Account.objects.get(pk=me.user_id)
    return Standing(account.token_version, account.is_active, account.role, account.is_staff)


def _miss(me):
    miss = token_standing.store().read(me.user_id, AccessToken(me.access)["jti"])
    assert miss.standing is None
    return miss


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_fill_from_before_a_ban_that_lands_after_it_is_dropped(client, django_user_model):
    me = signed_up(client)
    admin = admin_session(client, django_user_model)
    miss, before_ban = _miss(me), _standing_now(me)  # a reader missed and read the database
    ban(me.user_id, admin.user_id)
    assert token_standing.store().fill(miss, before_ban, []) is False, "the generation changed since the miss"
    assert works(client, me.access) == ALL_401


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_fill_between_the_writes_statement_and_its_commit_is_dropped_on_commit(client, django_user_model):
    me = signed_up(client)
    admin = admin_session(client, django_user_model)
    before_ban = _standing_now(me)
    with transaction.atomic(using="default"):
        services.account_ban(account_id=me.user_id, by=admin.user_id)
        # Another process misses after the writer's first step, reads the committed (old) row and fills.
        assert token_standing.store().fill(_miss(me), before_ban, []) is True
    assert token_standing.store().read(me.user_id, "any").standing is None, "forgotten again on commit"
    assert works(client, me.access) == ALL_401


# --- Redis out of reach -------------------------------------------------------------------------------------


def take_redis_away(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{unused_port()}/0"


def test_a_ban_with_redis_out_of_reach_is_refused_and_changes_nothing(client, django_user_model, settings):
    """Otherwise the cached standing of the banned account would outlive the outage."""
    me = signed_up(client)
    admin = django_user_model.objects.create_superuser("jefa-apagon@example.com", STRONG_PASSWORD)
    take_redis_away(settings)
    with pytest.raises(redis.ConnectionError):
        ban(me.user_id, admin.pk)
    assert Account.objects.get(pk=me.user_id).is_active


def test_a_password_change_with_redis_out_of_reach_is_refused_and_changes_nothing(client, settings):
    me = signed_up(client)
    take_redis_away(settings)
    with pytest.raises(redis.ConnectionError):
        accounts.change_password(user_id=me.user_id, current_password=STRONG_PASSWORD, new_password="Otra-Clave-88")
    assert Account.objects.get(pk=me.user_id).check_password(STRONG_PASSWORD)


# --- one Redis round trip per authenticated request --------------------------------------------------------


@contextmanager
def redis_commands():
    """The commands this test's Redis db receives from clients (not those scripts run) meanwhile."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    start, stop = b"standing-test-start", b"standing-test-stop"
    seen: list[str] = []
    ready = threading.Event()

    def watch():
        with client.monitor() as monitor:
            recording = False
            for entry in monitor.listen():
                if entry.get("client_type") == "lua" or int(entry.get("db", -1)) != db:
                    continue
                command = entry["command"]
                if start.decode() in command:
                    recording = True
                    ready.set()
                elif stop.decode() in command:
                    return
                elif recording:
                    seen.append(command.split(" ")[0].upper())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    while not ready.is_set():
        client.echo(start)
        ready.wait(0.05)
    try:
        yield seen
    finally:
        client.echo(stop)
        watcher.join(5)


def limiter_on(settings):
    settings.RATELIMIT = {**settings.RATELIMIT, "ENABLED": True, "REDIS_URL": settings.REDIS_URL}
    breakers.breaker(BREAKER).close()


def test_an_authenticated_request_makes_one_redis_call_for_its_rate_limit_and_its_standing(client, settings):
    me = signed_up(client)
    limiter_on(settings)
    first = client.get("/api/v1/session", headers=me.headers)
    assert first.status_code == 200  # the standing is cached now
    assert first.has_header("RateLimit-Limit"), "the route is limited"
    with redis_commands() as commands:
        assert client.get("/api/v1/session", headers=me.headers).status_code == 200
    assert commands == ["EVALSHA"]


def test_without_the_limiter_the_standing_alone_is_one_redis_call(client):
    me = signed_up(client)
    assert client.get("/api/v1/users/me", headers=me.headers).status_code == 200
    with redis_commands() as commands:
        assert client.get("/api/v1/session", headers=me.headers).status_code == 200
    assert commands == ["EVALSHA"]


def test_the_limiters_read_is_exact_too(client, settings, django_user_model):
    """The standing read in the limiter's round trip is the one the authenticator uses: a ban
    between two requests still refuses the second."""
    me = signed_up(client)
    admin = django_user_model.objects.create_superuser("jefa-limite@example.com", STRONG_PASSWORD)
    limiter_on(settings)
    assert works(client, me.access) == ALL_OK
    ban(me.user_id, admin.pk)
    assert works(client, me.access) == ALL_401


def test_staff_status_changed_in_the_admin_shows_on_the_next_request(client, django_user_model):
    me = signed_up(client)
    assert client.get("/api/v1/session", headers=me.headers).json()["is_staff"] is False  # cached now
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("jefa-admin@example.com", STRONG_PASSWORD))
    response = staff.post(f"/admin/auth_ctx/account/{me.user_id}/change/", {"is_staff": "on"})
    assert response.status_code == 302, response.content
    assert client.get("/api/v1/session", headers=me.headers).json()["is_staff"] is True


def test_many_tokens_are_checked_in_one_transaction_of_reads_and_exactly(client, django_assert_num_queries):
    """What the chat writer asks for a batch's frames: each token judged as alone, one round trip."""
    one, two, gone = signed_up(client), signed_up(client), signed_up(client)
    response = client.post(
        "/api/v1/auth/logout", {"refresh_token": gone.refresh}, content_type="application/json", headers=gone.headers
    )
    assert response.status_code == 204
    asked = [one.access, gone.access, "no-es-un-token", two.access, one.access]

    claims = accounts.validate_access_tokens(access_tokens=asked)  # fills what the logout dropped

    assert [c and str(c.user_id) for c in claims] == [one.user_id, None, None, two.user_id, one.user_id]
    with redis_commands() as commands, django_assert_num_queries(0):
        again = accounts.validate_access_tokens(access_tokens=[one.access, gone.access, two.access])
    assert [c and str(c.user_id) for c in again] == [one.user_id, None, two.user_id]
    assert commands == ["MULTI", *["HMGET", "GET"] * 3, "EXEC"]
    flush_redis()  # read through: still exact
    assert [c is None for c in accounts.validate_access_tokens(access_tokens=[gone.access, two.access])] == [
        True,
        False,
    ]
