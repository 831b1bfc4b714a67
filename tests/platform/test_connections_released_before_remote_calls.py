"""A request waiting on another service holds none of its pooled connections.

With the production budget (one pooled connection per alias and process), a request that had read
its account and then called a lifted context would sit on `default` while the callee called back
into the same process for it (a token check, a facade read): the callback waited out the pool's
timeout. Here a real process with that budget reads `default`, then makes a remote facade call whose
stand-in callee (a thread of the same process, as a callback would be) needs `default` itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import worker

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, threading, uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import django
    django.setup()
    from django.conf import settings
    from django.db import connection, connections, transaction
    from psycopg_pool import PoolTimeout

    from conectar.platform.databases import release_idle_connections
    from conectar.platform.lifting.client import ContextUnavailable, call_remote
    from conectar.platform.lifting.facades import local_function

    class CallsBack(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            try:
                with connection.cursor() as cursor:  # the callback's own query, on this process's pool
                    cursor.execute("SELECT 1")
                status, body = 200, {"result": None}
            except PoolTimeout:
                status, body = 500, {"detail": "pool timeout"}
            finally:
                connections.close_all()
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), CallsBack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.REMOTE_CONTEXTS = {"auth_ctx": f"http://127.0.0.1:{server.server_address[1]}"}
    settings.REMOTE_FACADES = {**settings.REMOTE_FACADES, "RETRIES": 0, "TIMEOUT_SECONDS": 10.0}
    declared = local_function("auth_ctx", "get_account")  # answered None by the stand-in

    def remote_call_after_a_read():
        with connection.cursor() as cursor:  # the request read its account: `default` is checked out
            cursor.execute("SELECT 1")
        try:
            call_remote(declared, {"user_id": uuid.uuid4()})
        except ContextUnavailable:
            return "callback starved"
        return "callback served"

    print("outside a transaction:", remote_call_after_a_read())
    with transaction.atomic():  # a transaction's connection is the caller's: it stays checked out
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        release_idle_connections()
        assert connection.connection is not None, "released inside a transaction"
    print("kept inside a transaction")
    """
)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_remote_call_does_not_hold_the_callers_pooled_connections():
    env = {
        **os.environ,
        **worker.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "DB_POOL_SIZE": "1",  # the production budget
        "DB_POOL_TIMEOUT_SECONDS": "2",
        "INTERNAL_SERVICE_KEYS": "gateway:release-test-key-0123456789",
        "SERVICE_NAME": "gateway",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "outside a transaction: callback served" in done.stdout, done.stdout + done.stderr[-3000:]
    assert "kept inside a transaction" in done.stdout
