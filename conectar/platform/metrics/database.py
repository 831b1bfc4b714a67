"""Database queries: count and time per alias for every process, and per HTTP request by route.

One execute wrapper is put on every connection Django opens (`connection_created`), so queries of
views, tasks and management commands are all measured; the HTTP middleware opens a per-request
tally (`begin_request`/`end_request`) that the wrapper also feeds."""

from __future__ import annotations

from contextvars import ContextVar
from time import perf_counter

from django.db.backends.signals import connection_created
from prometheus_client import Histogram

QUERY_SECONDS = Histogram(
    "conectar_db_query_duration_seconds",
    "Database query time by alias; _count is the number of queries.",
    ["alias"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

_by_alias: dict[str, object] = {}  # alias -> its histogram child (labels() costs a lock per query)
# [queries, seconds] of the request being served in this context, or None outside requests.
_tally: ContextVar[list | None] = ContextVar("metrics_request_db_tally", default=None)


def _observe(execute, sql, params, many, context):
    start = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = perf_counter() - start
        alias = context["connection"].alias
        (_by_alias.get(alias) or _by_alias.setdefault(alias, QUERY_SECONDS.labels(alias))).observe(elapsed)
        tally = _tally.get()
        if tally is not None:
            tally[0] += 1
            tally[1] += elapsed


def _on_connection_created(sender, connection, **kwargs):
    # The wrapper list belongs to the DatabaseWrapper, which outlives reconnects: add it once. First
    # in the list, so `with connection.execute_wrapper(...)` blocks (which pop the last) stay intact.
    if _observe not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _observe)


def install() -> None:
    """Measure every connection opened from now on (called once, from the platform's ready())."""
    connection_created.connect(_on_connection_created, dispatch_uid="conectar.metrics.database")


def begin_request():
    return _tally.set([0, 0.0])


def end_request(token) -> tuple[int, float]:
    """(queries, seconds) since the matching begin_request."""
    tally = _tally.get()
    _tally.reset(token)
    return (tally[0], tally[1]) if tally is not None else (0, 0.0)
