"""Correlation ids: accepted from `X-Request-ID` (or generated), returned, bound into every log
line, and carried into Celery tasks and published events."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

import structlog

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# Accept a caller's id only if it is short and printable: it ends up in logs and headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def bind_request_id(request_id: str | None):
    """Make `request_id` current for this thread/task; returns the token to reset it."""
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return _current.set(request_id)


def reset_request_id(token) -> None:
    _current.reset(token)
    structlog.contextvars.unbind_contextvars("request_id")


def accept_or_generate(raw: str | None) -> str:
    if raw and _ACCEPTABLE.match(raw):
        return raw
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_or_generate(request.META.get(_META_KEY))
        request.request_id = request_id
        token = bind_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[HEADER] = request_id
        return response
