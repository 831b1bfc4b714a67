import pytest

from conectar.auth_ctx import lockout
from tests.support.accounts import login, register

pytestmark = pytest.mark.django_db(databases="__all__")

WRONG = "Clave-Equivocada-1"


def fail(client, email, ip="10.0.0.1"):
    return login(client, email, WRONG, REMOTE_ADDR=ip)


def test_five_failures_lock_the_email_from_any_ip_even_for_the_right_password(client):
    user = register(client)
    for n in range(lockout.EMAIL_LIMIT):
        assert fail(client, user["email"], ip=f"10.0.0.{n}").status_code == 401
    locked = login(client, user["email"], REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    retry_after = int(locked["Retry-After"])
    assert 0 < retry_after <= lockout.WINDOW_SECONDS + 1


def test_an_unknown_email_locks_the_same_way_revealing_nothing(client):
    user = register(client)
    known = [fail(client, user["email"]) for _ in range(lockout.EMAIL_LIMIT + 1)]
    unknown = [fail(client, "nadie@example.com", ip="10.0.0.2") for _ in range(lockout.EMAIL_LIMIT + 1)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    assert known[0].json() == unknown[0].json()
    assert known[-1].json() == unknown[-1].json()


def test_a_success_resets_the_emails_count(client):
    user = register(client)
    for _ in range(lockout.EMAIL_LIMIT - 1):
        fail(client, user["email"])
    assert login(client, user["email"]).status_code == 200
    for _ in range(lockout.EMAIL_LIMIT - 1):
        assert fail(client, user["email"]).status_code == 401
    assert login(client, user["email"]).status_code == 200


def test_twenty_failures_from_one_ip_lock_that_ip_for_every_email(client):
    user = register(client)
    for n in range(lockout.IP_LIMIT):
        assert fail(client, f"probe{n}@example.com", ip="192.0.2.7").status_code == 401
    assert login(client, user["email"], REMOTE_ADDR="192.0.2.7").status_code == 429
    assert login(client, user["email"], REMOTE_ADDR="192.0.2.8").status_code == 200


def test_successful_logins_do_not_count_against_an_ip(client):
    user = register(client)
    for _ in range(lockout.IP_LIMIT + 5):
        assert login(client, user["email"], REMOTE_ADDR="198.51.100.1").status_code == 200


def test_the_lock_lifts_when_the_window_passes(client, monkeypatch):
    user = register(client)
    monkeypatch.setattr(lockout, "WINDOW_SECONDS", 1)
    for _ in range(lockout.EMAIL_LIMIT):
        fail(client, user["email"])
    assert login(client, user["email"]).status_code == 429
    import time

    time.sleep(1.2)  # the cache entries expire with the window
    assert login(client, user["email"]).status_code == 200


def test_behind_the_trusted_proxy_each_client_has_its_own_ip_count(client, settings):
    """Every request reaches us from the proxy's address; the lockout keys on the client's address
    from X-Forwarded-For (as the rate limiter does), so one guesser does not lock everybody out."""
    settings.RATELIMIT = {**settings.RATELIMIT, "TRUSTED_PROXY_COUNT": 1}
    user = register(client)
    proxy = {"REMOTE_ADDR": "10.255.0.1"}
    for n in range(lockout.IP_LIMIT):
        guess = login(client, f"victima{n}@example.com", WRONG, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
        assert guess.status_code == 401
    refused = login(client, "otra@example.com", WRONG, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert refused.status_code == 429

    assert login(client, user["email"], HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy).status_code == 200
