"""The connection budget (ARCHITECTURE.md § Databases): whatever the server, a process keeps at most
one PostgreSQL connection per context database it uses, however many requests it serves at once.

Each server runs as a real process with the production setting (DB_POOL_SIZE=1) and its own
application_name, so pg_stat_activity tells its connections apart from everyone else's."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from tests.e2e.system import BIN, LOGS, ROOT, Process, _answers
from tests.support import worker as worker_harness
from tests.support.accounts import signed_up
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

CONCURRENT, ROUNDS = 24, 4
ROUTES = ("/api/v1/users/me", "/api/v1/professional/me", "/api/v1/professional/kyc", "/api/v1/chat/list")


def _server_cmd(kind: str, port: int) -> list[str]:
    if kind == "daphne":  # every HTTP request in a thread of its own
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "conectar.asgi:application"]
    return [  # gunicorn with 8 threads per worker
        str(BIN / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8", "--worker-class", "gthread"),
        "conectar.wsgi:application",
    ]


def _connections_of(app_name: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname, count(*) FROM pg_stat_activity WHERE application_name = %s GROUP BY datname", [app_name]
        )
        return dict(cursor.fetchall())


@pytest.mark.parametrize("kind", ["daphne", "gunicorn"])
def test_concurrent_requests_never_grow_a_process_beyond_one_connection_per_database(client, kind):
    pro = signed_up(client, rol="PROFESIONAL")
    app_name = f"budget-{kind}-{uuid.uuid4().hex[:8]}"
    port = unused_port()
    env = {
        **os.environ,
        **worker_harness.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "conectar.settings",
        "CONECTAR_ENV": "test",
        "PYTHONPATH": str(ROOT),
        "DB_POOL_SIZE": "1",  # the production default
        "PGAPPNAME": app_name,  # libpq's application_name for every connection the server opens
    }
    LOGS.mkdir(parents=True, exist_ok=True)
    server = Process(f"budget-{kind}", _server_cmd(kind, port), env)
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_for(lambda: _answers(url), what=f"{kind} answering")

        def burst(_):
            with httpx.Client(base_url=url, headers=pro.headers, timeout=30) as http:
                return [http.get(route).status_code for _ in range(ROUNDS) for route in ROUTES]

        with ThreadPoolExecutor(CONCURRENT) as pool:
            statuses = [s for batch in pool.map(burst, range(CONCURRENT)) for s in batch]

        assert set(statuses) == {200}, sorted(set(statuses))
        held = _connections_of(app_name)
        # The routes touched accounts, users, professionals and marketplace: each once, no more.
        assert len(held) >= 3, held
        assert max(held.values()) == 1, held
    finally:
        server.terminate()
        server.wait()
