"""Carry the request id from whoever enqueues a task into the task's own logs and events."""

from __future__ import annotations

from celery import signals

from conectar.platform.request_id import bind_request_id, current_request_id, reset_request_id

_HEADER = "request_id"
_tokens: dict[str, object] = {}


@signals.before_task_publish.connect
def _stamp_request_id(headers=None, **_):
    if headers is not None and _HEADER not in headers:
        headers[_HEADER] = current_request_id()


@signals.task_prerun.connect
def _bind_request_id(task_id=None, task=None, **_):
    request_id = getattr(task.request, _HEADER, None) if task else None
    _tokens[task_id] = bind_request_id(request_id)


@signals.task_postrun.connect
def _unbind_request_id(task_id=None, **_):
    token = _tokens.pop(task_id, None)
    if token is not None:
        reset_request_id(token)
