"""Killing a worker at a chosen point of one subscriber's delivery (tests/chaos/hooks.py).

- `relayed` and `committed`: the worker holds still at that point (armed through Redis) and is
  SIGKILLed there.
- `in_handler`: the test locks a table the handler writes, waits until the worker's connection is
  blocked on it inside the delivery's transaction, and SIGKILLs the worker then; PostgreSQL rolls
  that transaction back once the lock is released.
"""

from __future__ import annotations

import contextlib

import psycopg
import redis
from django.conf import settings
from django.db import connections

from tests.chaos import hooks
from tests.chaos.system import ChaosSystem
from tests.support.waiting import wait_until

IN_HANDLER = "in_handler"
POINTS = (hooks.RELAYED, IN_HANDLER, hooks.COMMITTED)
_redis = redis.Redis.from_url(settings.REDIS_URL)


@contextlib.contextmanager
def killed_at(chaos: ChaosSystem, point: str, *, handler: str, alias: str, table: str):
    """Run the block (which makes the event happen), then kill the domain worker at `point` of the
    delivery of that event to `handler`, whose effects go to `table` in database `alias`."""
    worker = chaos.processes["domain"].name
    if point == IN_HANDLER:
        with _locked(alias, table):
            yield
            wait_until(
                lambda: _blocked_on_lock(worker),
                timeout=30,
                message=f"{worker} blocked inside {handler} (logs: {chaos.logs})",
            )
            chaos.kill_worker("domain")
        return
    with held_at(chaos, point, handler=handler):
        yield
    chaos.kill_worker("domain")


@contextlib.contextmanager
def held_at(chaos: ChaosSystem, point: str, *, handler: str):
    """Run the block (which makes the event happen); return once the domain worker holds still at
    `point` (`relayed` or `committed`) of the delivery to `handler`. It holds there until killed."""
    _redis.delete(hooks.reached_key(point, handler))
    _redis.set(hooks.arm_key(point, handler), 1, ex=300)
    try:
        yield
        wait_until(
            lambda: _redis.get(hooks.reached_key(point, handler)),
            timeout=30,
            message=f"{chaos.processes['domain'].name} held at {point} of {handler} (logs: {chaos.logs})",
        )
    finally:
        _redis.delete(hooks.arm_key(point, handler))


@contextlib.contextmanager
def _locked(alias: str, table: str):
    s = connections[alias].settings_dict
    with psycopg.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"]) as conn:
        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # plain reads pass; writes and FOR UPDATE wait
        yield conn
        conn.rollback()


def _blocked_on_lock(app_name: str) -> bool:
    # From the test's own autocommit connection: a transaction sees one snapshot of the statistics.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            [app_name],
        )
        return cursor.fetchone()[0] > 0
