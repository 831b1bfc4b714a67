"""What a facade call looks like on the wire, for both ends: the path, the body, and a public
exception as an error object that the caller can raise again."""

from __future__ import annotations

import importlib
from typing import Any

from conectar.shared.errors import DomainError, InvalidInput, RateLimited

PATH = "/internal/rpc/{context}/{function}"


def path_for(context: str, function: str) -> str:
    return PATH.format(context=context, function=function)


def error_body(exc: DomainError) -> dict[str, Any]:
    cls = type(exc)
    return {
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "code": exc.code,
        "detail": exc.detail,
        "fields": getattr(exc, "fields", None),
        "retry_after": getattr(exc, "retry_after", None),
    }


def _public_exception_class(dotted: str, context: str) -> type[DomainError] | None:
    """The exception class named by the callee, if it is one the caller may know: the context's
    contracts or the shared kernel (never an arbitrary import path from the wire)."""
    module_name, _, qualname = dotted.rpartition(".")
    if module_name not in (f"conectar.{context}.contracts", "conectar.shared.errors"):
        return None
    found = getattr(importlib.import_module(module_name), qualname, None)
    return found if isinstance(found, type) and issubclass(found, DomainError) else None


def exception_from(error: dict[str, Any], *, context: str, status: int) -> DomainError:
    """The callee's public exception, raised again on the caller's side with the same class, code,
    detail (and fields or Retry-After where it has them)."""
    cls = _public_exception_class(str(error.get("type", "")), context) or DomainError
    exc = cls.__new__(cls)  # constructors differ (fields=, retry_after=); the state is set below
    Exception.__init__(exc, error.get("detail", ""))
    exc.detail = error.get("detail") or cls.default_detail
    exc.code = error.get("code") or cls.code
    if cls is DomainError:
        exc.status = status  # an exception the caller cannot name keeps the callee's status
    if issubclass(cls, InvalidInput):
        exc.fields = error.get("fields") or {}
    if issubclass(cls, RateLimited) or error.get("retry_after"):
        exc.retry_after = int(error.get("retry_after") or 1)
    return exc
