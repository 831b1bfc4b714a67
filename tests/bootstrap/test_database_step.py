"""`make run`'s database step on a PostgreSQL with the distribution's default authentication
(Debian's pg_hba.conf: peer on the local socket, scram-sha-256 on TCP), not this machine's trust.
The bootstrap creates a role with a generated password, keeps DATABASE_URL in the checkout's
git-ignored .env, and creates and migrates every context database through it; every later manage.py
in that checkout works with nothing set by hand, and a production start still refuses to run."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.bootstrap.checkout import clean_env, copy_checkout, manage

PG_MAJOR = max(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name)).name


def _free_port() -> int:
    """The first port from 5441 on that no cluster is configured for and nothing listens on."""
    configured = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    taken = {int(line.split()[2]) for line in configured.splitlines() if line.strip()}
    for port in range(5441, 5500):
        if port in taken:
            continue
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a PostgreSQL cluster between 5441 and 5499")


def _pg(*command: str, check: bool = True) -> None:
    subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)


@pytest.fixture
def default_auth_cluster():
    """A cluster of its own, created as a fresh Debian/Ubuntu creates one (its authentication spelt
    out, so a machine's own createcluster.conf cannot make it trusting); dropped whatever happens."""
    name = f"conectar_bootstrap_{os.getpid()}"
    port = _free_port()
    initdb_auth = ["--", "--auth-local=peer", "--auth-host=scram-sha-256"]
    _pg("pg_createcluster", PG_MAJOR, name, "-p", str(port), *initdb_auth)
    try:
        _pg("pg_ctlcluster", "--skip-systemctl-redirect", PG_MAJOR, name, "start")
        yield port
    finally:
        _pg("pg_dropcluster", "--stop", PG_MAJOR, name, check=False)


PROBE = """
import json
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
databases = {}
for alias in connections:
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, inet_server_port()")
        user, port = cursor.fetchone()
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    databases[alias] = {"user": user, "port": port, "unapplied": len(unapplied)}
print(json.dumps({"env": settings.CONECTAR_ENV, "databases": databases}))
"""


def _env_file(checkout: Path) -> dict[str, str]:
    lines = (checkout / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _bootstrap_db(checkout: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["scripts/bootstrap.sh", "db"],  # noqa: S607
        cwd=checkout,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


@pytest.mark.timeout(900)
def test_make_runs_database_step_where_postgresql_asks_for_a_password(default_auth_cluster, tmp_path):
    port = default_auth_cluster
    with pytest.raises(psycopg.OperationalError, match="password"):  # the distribution's default
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=5)
    checkout = copy_checkout(tmp_path)

    done = _bootstrap_db(checkout, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/conectar")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert f"PostgreSQL on port {port} asks for a password: role conectar" in done.stdout
    assert "every context database is ready" in done.stdout

    local = _env_file(checkout)
    url = urlsplit(local["DATABASE_URL"])
    assert (url.username, url.hostname, url.port, url.path) == ("conectar", "127.0.0.1", port, "/conectar")
    assert len(url.password) >= 30
    assert local["CONECTAR_ENV"] == "development"
    assert len(local["SECRET_KEY"]) >= 50
    assert stat.S_IMODE((checkout / ".env").stat().st_mode) == 0o600  # a password inside

    # Every later manage.py in the checkout, with nothing in the environment: .env says it all.
    probe = manage(checkout, "shell", "-c", PROBE, env=clean_env())
    assert probe.returncode == 0, probe.stderr[-4000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["env"] == "development"
    assert set(found["databases"]) == {"default", "users", "professionals", "marketplace", "payments", "notifications"}
    for alias, database in found["databases"].items():
        assert database == {"user": "conectar", "port": port, "unapplied": 0}, alias
    latest = manage(checkout, "latest_messages", "-n", "10", env=clean_env())  # the README's hint
    assert latest.returncode == 0, latest.stderr[-4000:]

    # The development key in .env is not production's: a production start still refuses.
    production = manage(checkout, "check", env=clean_env(CONECTAR_ENV="production"))
    assert production.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in production.stderr

    # Again (as every make run does): the way in works, nothing is created or changed.
    again = _bootstrap_db(checkout)
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    assert "asks for a password" not in again.stdout
    assert _env_file(checkout) == local
