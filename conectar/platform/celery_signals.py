"""Worker hygiene: carry the request id from whoever enqueued a task into its logs and events, and
manage database connections around each task as Django does around each request. Task metrics and
the worker's metrics endpoint hook into the same signals from `conectar.platform.metrics.worker`."""

from __future__ import annotations

from celery import signals
from django.db import close_old_connections
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

from conectar.platform.metrics import worker as _worker_metrics  # noqa: F401  (connects its signals)
from conectar.platform.request_id import bind_request_id, current_request_id, reset_request_id

_HEADER = "request_id"
_tokens: dict[str, object] = {}


def _in_worker(task) -> bool:
    # An eager task runs inline in its caller, maybe inside a transaction: hands off its connections.
    return task is not None and not getattr(task.request, "is_eager", False)


_inherited_pools: list = []


@signals.worker_process_init.connect
def _forget_the_parents_pools(**_):
    """A pool child forked from a main process whose outbox listener already opened pooled
    connections must not use them: their sockets are the parent's. Drop the references without
    closing anything (closing would end the parent's sessions) and keep them from the collector."""
    pools = PostgresWrapper._connection_pools  # one dict per process, shared by every alias's wrapper
    if pools:
        _inherited_pools.append(dict(pools))
        pools.clear()


@signals.before_task_publish.connect
def _stamp_request_id(headers=None, **_):
    if headers is not None and _HEADER not in headers:
        headers[_HEADER] = current_request_id()


@signals.task_prerun.connect
def _before_task(task_id=None, task=None, **_):
    if _in_worker(task):
        close_old_connections()
    request_id = getattr(task.request, _HEADER, None) if task else None
    _tokens[task_id] = bind_request_id(request_id)


@signals.task_postrun.connect
def _after_task(task_id=None, task=None, **_):
    token = _tokens.pop(task_id, None)
    if token is not None:
        reset_request_id(token)
    if _in_worker(task):
        close_old_connections()
