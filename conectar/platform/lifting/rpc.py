"""The callee's side of a lifted facade: `POST /internal/rpc/<context>/<function>`.

Served by every process for the contexts it runs (a context's service, and the gateway process for
the ones it keeps), to other services only (signed service auth). It decodes the keyword arguments
by the function's own type hints, runs the local facade function, and answers
`{"result": …}` or `{"error": {type, code, detail, fields, retry_after}}` with the exception's
status, so the caller raises the same public exception again."""

from __future__ import annotations

import importlib
import json
from typing import Any

import structlog
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from conectar.platform.lifting.facades import FacadeFunction, local_function
from conectar.platform.lifting.wire import error_body
from conectar.platform.service_auth import authenticate_service
from conectar.shared.codec import DecodeError, decode, encode
from conectar.shared.errors import DomainError, InvalidInput, NotAuthenticated, NotFound

log = structlog.get_logger(__name__)


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse({"error": error_body(exc)}, status=exc.status)


def _declared(context: str, function: str) -> FacadeFunction:
    if context not in settings.CONTEXTS_HERE:
        raise NotFound(f"{context} no corre en este servicio.")
    importlib.import_module(f"conectar.{context}.facade")  # declares its functions on import
    declared = local_function(context, function)
    if declared is None:
        raise NotFound(f"{context}.facade no tiene la función {function}.")
    return declared


def _arguments(declared: FacadeFunction, body: bytes) -> dict[str, Any]:
    try:
        sent = json.loads(body)["kwargs"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput('El cuerpo debe ser {"kwargs": {...}}.') from exc
    unknown = set(sent) - set(declared.signature.parameters)
    if unknown:
        raise InvalidInput(f"Argumentos desconocidos: {', '.join(sorted(unknown))}.")
    try:
        return {name: decode(declared.hints.get(name, Any), value) for name, value in sent.items()}
    except (DecodeError, TypeError, ValueError) as exc:
        raise InvalidInput(f"Argumento inválido: {exc}") from exc


@csrf_exempt
def facade_call(request, context: str, function: str) -> JsonResponse:
    try:
        if request.method != "POST":
            raise NotFound
        if authenticate_service(request) is None:
            raise NotAuthenticated("Sólo otros servicios llaman a las fachadas.")
        declared = _declared(context, function)
        result = declared.func(**_arguments(declared, request.body))
    except DomainError as exc:
        return _error(exc)
    return JsonResponse({"result": encode(result)})
