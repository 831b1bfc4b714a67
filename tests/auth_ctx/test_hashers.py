"""The production hasher runs every hash of a process on one thread of its own (conectar/auth_ctx/
hashers.py): answers stay exact under concurrency, one such thread serves the process, a forked
child (a gunicorn worker) gets its own, and a login through the API works with it."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conectar.auth_ctx.hashers import OwaspArgon2idPasswordHasher

PASSWORD = "Clave-De-Prueba-2026"


@pytest.fixture(scope="module")
def hasher():
    return OwaspArgon2idPasswordHasher()


@pytest.fixture(scope="module")
def encoded(hasher):
    return hasher.encode(PASSWORD, hasher.salt())


def test_concurrent_checks_each_get_their_own_answer(hasher, encoded):
    guesses = [PASSWORD if n % 2 else PASSWORD + "x" for n in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda guess: hasher.verify(guess, encoded), guesses))
    assert answers == [guess == PASSWORD for guess in guesses]


def test_one_hashing_thread_serves_the_process(hasher, encoded):
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: hasher.verify(PASSWORD, encoded), range(8)))
    hashing = [t for t in threading.enumerate() if t.name.startswith("password-hash")]
    assert len(hashing) == 1


def test_a_forked_child_hashes_on_a_thread_of_its_own(hasher, encoded):
    assert hasher.verify(PASSWORD, encoded)  # the parent's thread exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's hashing thread did not survive the fork
        try:
            ok = hasher.verify(PASSWORD, encoded) and not hasher.verify("otra", encoded)
            fresh = hasher.encode(PASSWORD, hasher.salt())
            os.write(write, b"ok" if ok and hasher.verify(PASSWORD, fresh) else b"bad")
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        assert answer.read() == b"ok"
    os.waitpid(pid, 0)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_login_with_the_real_hasher(client, settings):
    from django.contrib.auth import get_user_model

    from conectar import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    get_user_model().objects.create_user("hashing@example.com", PASSWORD)
    response = client.post(
        "/api/v1/auth/login", {"email": "hashing@example.com", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["refresh_token"]
    wrong = client.post(
        "/api/v1/auth/login", {"email": "hashing@example.com", "password": "otra"}, content_type="application/json"
    )
    assert wrong.status_code == 401
