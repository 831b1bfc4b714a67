"""The pool hands out no connection the server has closed, and checks that without a round trip.

A real process with the production budget (one pooled connection per alias): the connection it
used is terminated by the server while idle in the pool (what a PostgreSQL restart or failover does
to every idle one); the next query runs on a fresh connection instead of failing. And what a geo
connection is given once (GeoDjango's geometry adapters) holds on every checkout and on a replacement."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import worker

ROOT = Path(__file__).resolve().parents[2]

# Run in the script after its first checkout: the server terminates the backend `first` while it
# idles in the pool (what a PostgreSQL restart or failover does to every idle connection).
TERMINATE_FIRST = """
params = connection.get_connection_params()
params.pop("cursor_factory", None)
with psycopg.connect(**params, autocommit=True) as admin:
    admin.execute("SELECT pg_terminate_backend(%s)", [first])
    while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [first]).fetchone():
        pass
"""

SCRIPT = (
    textwrap.dedent(
        """
        import django
        django.setup()
        import psycopg
        from django.db import connection

        def backend_pid():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            connection.close()  # back to the pool, as at the end of a request
            return pid

        first = backend_pid()
        assert backend_pid() == first, "the pool reuses its idle connection"
        """
    )
    + TERMINATE_FIRST
    + textwrap.dedent(
        """
        second = backend_pid()
        assert second != first, "a fresh connection replaced the terminated one"
        print("served by a fresh connection")
        """
    )
)

GEOMETRY_SCRIPT = (
    textwrap.dedent(
        """
        import django
        django.setup()
        import psycopg
        from django.contrib.gis.db.backends.postgis.adapter import PostGISAdapter
        from django.contrib.gis.geos import Point
        from django.db import connections

        connection = connections["professionals"]

        def send_point():
            # A geometry parameter needs GeoDjango's dumper on this very psycopg connection.
            point = PostGISAdapter(Point(-58.38, -34.6, srid=4326))
            with connection.cursor() as cursor:
                cursor.execute("SELECT ST_AsText(%s), pg_backend_pid()", [point])
                text, pid = cursor.fetchone()
            connection.close()  # back to the pool, as at the end of a request
            assert text == "POINT(-58.38 -34.6)", text
            return pid

        first = send_point()
        assert send_point() == first and send_point() == first, "the same pooled connection, checked out again"
        """
    )
    + TERMINATE_FIRST
    + textwrap.dedent(
        """
        assert send_point() != first
        print("geometries on every checkout")
        """
    )
)


def run_with_the_production_pool(script: str) -> str:
    """`script` in a process of its own with one pooled connection per alias; its output."""
    env = {
        **os.environ,
        **worker.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "DB_POOL_SIZE": "1",  # the production budget
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_while_pooled_is_never_handed_out():
    assert "served by a fresh connection" in run_with_the_production_pool(SCRIPT)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_pooled_geo_connection_takes_geometries_on_every_checkout_and_so_does_its_replacement():
    """GeoDjango's geometry adapters are registered once per connection (not on every checkout),
    so a reused connection must still have them, and a replacement must get them."""
    assert "geometries on every checkout" in run_with_the_production_pool(GEOMETRY_SCRIPT)
