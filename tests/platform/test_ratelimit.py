"""Rate limits at the gateway: classes from the settings table, per user or per IP, the 429 and its
headers, the token bucket's refill, and what happens when the limiter's Redis is unreachable."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
import redis
from django.conf import settings as django_settings
from prometheus_client import REGISTRY

from conectar.platform import breakers
from conectar.platform.counters import LocalTokenBucket, RedisTokenBucket, token_bucket
from conectar.platform.ratelimit import BREAKER
from tests.support.accounts import bearer, signed_up
from tests.support.network import unused_port
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.django_db(databases="__all__")

PUBLIC = "/api/v1/public/oficios"  # a cheap public GET in the "default" class
LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
AVATAR = "/api/v1/users/me/avatar"
SEARCH = "/api/v1/search/professionals"


def limits(settings, redis_url: str | None = None, **classes: str) -> None:
    """Turn the limiter on with some classes' limits changed ("limit/window")."""
    config = settings.RATELIMIT
    changed = {}
    for name, rate in classes.items():
        limit, window = rate.split("/")
        changed[name] = {"limit": int(limit), "window": float(window)}
    settings.RATELIMIT = {
        **config,
        "ENABLED": True,
        "REDIS_URL": django_settings.REDIS_URL if redis_url is None else redis_url,
        "CLASSES": {**config["CLASSES"], **changed},
    }


@pytest.fixture(autouse=True)
def _closed_breaker():
    circuit = breakers.breaker(BREAKER)
    reset_timeout = circuit.reset_timeout
    breakers.reset_all()
    yield
    circuit.reset_timeout = reset_timeout
    breakers.reset_all()


def errors_counted() -> float:
    return REGISTRY.get_sample_value("conectar_ratelimit_redis_errors_total") or 0.0


def post_json(client, path, body, **extra):
    return client.post(path, body, content_type="application/json", **extra)


# --- the bucket itself, on Redis and in-process ------------------------------------------------------


@pytest.fixture(params=["redis", "local"])
def bucket(request):
    if request.param == "redis":
        return RedisTokenBucket(redis.Redis.from_url(django_settings.REDIS_URL))
    return LocalTokenBucket()


def test_a_bucket_allows_a_burst_of_limit_then_refuses_until_it_refills(bucket):
    key = f"test:bucket:{uuid.uuid4().hex}"
    quotas = [bucket.take(key, limit=3, period=1.5) for _ in range(4)]
    assert [q.allowed for q in quotas] == [True, True, True, False]
    assert [q.remaining for q in quotas] == [2, 1, 0, 0]
    refused = quotas[-1]
    assert 0 < refused.retry_after <= 0.5, "one request comes back every period/limit seconds"
    assert 1.0 < refused.reset_after <= 1.5, "the whole burst is back after about one period"

    time.sleep(refused.retry_after + 0.05)
    assert bucket.take(key, limit=3, period=1.5).allowed
    assert not bucket.take(key, limit=3, period=1.5).allowed, "only one came back"


def test_buckets_are_separate_per_key(bucket):
    a, b = f"test:bucket:{uuid.uuid4().hex}", f"test:bucket:{uuid.uuid4().hex}"
    assert bucket.take(a, limit=1, period=60).allowed
    assert not bucket.take(a, limit=1, period=60).allowed
    assert bucket.take(b, limit=1, period=60).allowed


def test_the_redis_bucket_expires_its_key_once_full_again():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    key = f"test:bucket:{uuid.uuid4().hex}"
    RedisTokenBucket(client).take(key, limit=10, period=60)
    assert 0 < client.pttl(key) <= 6_001, "a key lives only until its bucket would be full (60 s / 10)"


def test_the_redis_bucket_reconnects_once_when_redis_drops_its_connection():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    bucket, key = RedisTokenBucket(client), f"test:bucket:{uuid.uuid4().hex}"
    assert bucket.take(key, limit=5, period=60).remaining == 4
    own = bucket.redis.connection()  # this thread's connection, open now
    own.send_command("CLIENT", "ID")
    assert client.client_kill_filter(_id=own.read_response()) == 1
    assert bucket.take(key, limit=5, period=60).remaining == 3, "served on a new connection, counted once"
    assert bucket.take(key, limit=5, period=60).remaining == 2


def test_the_redis_bucket_loads_its_script_again_after_redis_lost_it():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    bucket, key = RedisTokenBucket(client), f"test:bucket:{uuid.uuid4().hex}"
    assert bucket.take(key, limit=5, period=60).remaining == 4
    client.script_flush()
    assert bucket.take(key, limit=5, period=60).remaining == 3, "EVAL once, counted once"
    assert bucket.take(key, limit=5, period=60).remaining == 2


# --- classes, callers, answers ---------------------------------------------------------------------------


def test_limited_responses_carry_the_ratelimit_headers_and_the_429_has_the_error_body(client, settings):
    limits(settings, default="3/60")
    answers = [client.get(PUBLIC) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert {r["RateLimit-Limit"] for r in answers} == {"3"}
    assert 0 < int(answers[0]["RateLimit-Reset"]) <= 60
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert set(refused.json()) == {"detail", "code"}
    assert 1 <= int(refused["Retry-After"]) <= 20, "one request comes back every 60/3 s"
    assert refused["Retry-After"] in refused.json()["detail"]
    assert refused.has_header("X-Request-ID")


def test_a_disabled_limiter_adds_nothing(client, settings):
    limits(settings, default="1/60")
    settings.RATELIMIT = {**settings.RATELIMIT, "ENABLED": False}
    answers = [client.get(PUBLIC) for _ in range(3)]
    assert {r.status_code for r in answers} == {200}
    assert not answers[0].has_header("RateLimit-Limit")


def test_routes_no_rule_names_are_not_limited(client, settings):
    limits(settings, default="1/60")
    assert {client.get("/health/live").status_code for _ in range(3)} == {200}
    assert not client.get("/health/live").has_header("RateLimit-Limit")


def test_login_is_strict_and_refused_before_the_view_runs(client, settings):
    me = signed_up(client)
    limits(settings, auth="2/60", default="100/60")
    for _ in range(2):
        assert post_json(client, LOGIN, {"email": me.email, "password": me.password}).status_code == 200

    refused = post_json(client, LOGIN, {"email": me.email, "password": me.password})

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused["RateLimit-Limit"] == "2"
    assert client.get(PUBLIC).status_code == 200, "other classes keep their own buckets"


def test_password_reset_has_its_own_strict_class(client, settings):
    limits(settings, password_reset="2/900")
    answers = [post_json(client, FORGOT, {"email": "nadie@example.com"}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert post_json(client, LOGIN, {"email": "nadie@example.com", "password": "x"}).status_code != 429


def test_multipart_uploads_are_their_own_class(client, settings):
    limits(settings, upload="1/60", default="100/60")
    me = signed_up(client)
    first = client.post(AVATAR, {"file": b"not an image"}, headers=me.headers)
    second = client.post(AVATAR, {"file": b"not an image"}, headers=me.headers)
    assert first.status_code != 429
    assert first["RateLimit-Limit"] == "1"
    assert second.status_code == 429
    assert client.get("/api/v1/users/me", headers=me.headers).status_code == 200


def test_search_has_its_own_class(client, settings):
    limits(settings, search="2/60", default="100/60")
    answers = [client.get(SEARCH, {"lat": "-34.6", "lng": "-58.4"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert client.get(PUBLIC).status_code == 200


def test_anonymous_callers_are_limited_per_ip(client, settings):
    limits(settings, default="2/60")
    for _ in range(2):
        assert client.get(PUBLIC, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get(PUBLIC, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get(PUBLIC, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_ipv6_callers_share_their_64_prefix(client, settings):
    limits(settings, default="1/60")
    assert client.get(PUBLIC, REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert client.get(PUBLIC, REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert client.get(PUBLIC, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_the_forwarded_address_counts_only_from_trusted_proxies(client, settings):
    limits(settings, default="1/60")
    # No trusted proxy: X-Forwarded-For is the client's to write, so it changes nothing.
    assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429

    settings.RATELIMIT = {**settings.RATELIMIT, "TRUSTED_PROXY_COUNT": 1}
    # One proxy: the entry it appended (the last) is the client; what the client wrote before is ignored.
    assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.5").status_code == 200
    assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR="10.0.0.2, 203.0.113.5").status_code == 429
    assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.6").status_code == 200


def test_authenticated_callers_are_limited_per_user_from_any_ip(client, settings):
    ana, beto = signed_up(client), signed_up(client)
    limits(settings, default="2/60")
    assert client.get("/api/v1/users/me", headers=ana.headers, REMOTE_ADDR="192.0.2.10").status_code == 200
    assert client.get("/api/v1/users/me", headers=ana.headers, REMOTE_ADDR="192.0.2.11").status_code == 200
    assert client.get("/api/v1/users/me", headers=ana.headers, REMOTE_ADDR="192.0.2.12").status_code == 429
    same_ip = client.get("/api/v1/users/me", headers=beto.headers, REMOTE_ADDR="192.0.2.10")
    assert same_ip.status_code == 200, "another user behind the same address has their own bucket"
    assert client.get(PUBLIC, REMOTE_ADDR="192.0.2.10").status_code == 200, "and so has the address itself"


def _token(key: str, algorithm: str = "HS256", **claims) -> str:
    body = {"user_id": str(uuid.uuid4()), "token_type": "access", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(body, key, algorithm=algorithm)


def _unsigned(**claims) -> str:
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    body = {"user_id": str(uuid.uuid4()), "token_type": "access", "exp": int(time.time()) + 600, **claims}
    return f"{header}.{jwt.utils.base64url_encode(json.dumps(body).encode()).decode()}."


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda key: "garbage", id="not a JWT"),
        pytest.param(lambda key: _token("not-our-signing-key-0123456789abcdef"), id="another key"),
        pytest.param(lambda key: _unsigned(), id="alg none"),
        pytest.param(lambda key: _token(key, exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda key: _token(key, token_type="refresh"), id="a refresh token"),
        pytest.param(lambda key: _token(key, algorithm="HS512"), id="another algorithm"),
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # our key, HS512 on purpose
def test_a_token_that_is_not_a_valid_access_token_is_limited_by_ip(client, settings, make):
    limits(settings, default="2/60")
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    # A different made-up user each time: none of them may buy a fresh bucket.
    answers = [client.get(PUBLIC, headers=bearer(make(key)), REMOTE_ADDR="192.0.2.20") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert client.get(PUBLIC, REMOTE_ADDR="192.0.2.20").status_code == 429, "the address's own bucket"


def test_the_bucket_refills_over_time(client, settings):
    limits(settings, default="2/1")
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.6)  # one request comes back every 0.5 s
    assert client.get(PUBLIC).status_code == 200


def test_without_redis_the_limits_hold_in_process(client, settings):
    limits(settings, redis_url="", default="2/60")
    assert isinstance(token_bucket("", timeout=0.25), LocalTokenBucket)
    token_bucket("", timeout=0.25).clear()
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 429]


# --- Redis unreachable: fail open, counted ------------------------------------------------------------


def test_with_redis_unreachable_requests_pass_unlimited_and_are_counted(client, settings):
    limits(settings, redis_url=f"redis://127.0.0.1:{unused_port()}/0", default="1/60")
    before = errors_counted()

    answers = [client.get(PUBLIC) for _ in range(5)]

    assert {r.status_code for r in answers} == {200}, "fail open: a limiter outage is no API outage"
    assert not any(r.has_header("RateLimit-Limit") for r in answers)
    assert errors_counted() - before == 5, "every request served unlimited is counted"
    assert breakers.states()[BREAKER] == "open", "after a few errors Redis is skipped, not waited for"


def test_limits_apply_again_once_redis_is_back(client, settings):
    target = redis.Redis.from_url(django_settings.REDIS_URL).connection_pool.connection_kwargs
    proxy = TcpProxy(target["host"], target["port"])
    proxy.start()
    try:
        limits(settings, redis_url=f"redis://127.0.0.1:{proxy.port}/{target['db']}", default="2/60")
        circuit = breakers.breaker(BREAKER)
        circuit.reset_timeout = 0.3
        assert client.get(PUBLIC)["RateLimit-Remaining"] == "1"

        proxy.stop()
        outage = [client.get(PUBLIC).status_code for _ in range(5)]
        proxy.start()
        time.sleep(0.4)  # the breaker lets one trial call through after its reset timeout
        back = [client.get(PUBLIC) for _ in range(2)]
    finally:
        proxy.stop()

    assert outage == [200] * 5
    assert [r.status_code for r in back] == [200, 429], "the bucket kept its count through the outage"
    assert back[0]["RateLimit-Remaining"] == "0"
