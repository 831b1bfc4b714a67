"""The one error body of API.md — `{"detail", "code", "fields"?}` — for DRF, Ninja and Django alike.

Each framework's exceptions are translated here, so views raise whatever is natural to them
(`DomainError`s from services, DRF/Ninja validation errors) and the client always sees one shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError, ValidationError
from rest_framework import exceptions as drf
from rest_framework.views import exception_handler as drf_default_handler

from conectar.platform.outages import BACKING_SERVICE_DOWN, RETRY_AFTER_SECONDS
from conectar.shared.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
)

log = structlog.get_logger(__name__)

API_PREFIX = "/api/"


def error_response(
    status: int,
    detail: str,
    code: str,
    *,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JsonResponse:
    body: dict = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error_response(exc: DomainError) -> JsonResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited | ServiceUnavailable) else None
    fields = exc.fields if isinstance(exc, InvalidInput) else None
    return error_response(exc.status, exc.detail, exc.code, fields=fields, headers=headers)


def malformed_multipart_response() -> JsonResponse:
    return error_response(
        400, "El cuerpo multipart/form-data está mal formado (¿falta el boundary?).", "malformed_multipart"
    )


def server_error_response() -> JsonResponse:
    return error_response(500, "Ocurrió un error inesperado; quedó registrado.", "server_error")


def outage_response(exc: Exception, request=None) -> JsonResponse | None:
    if not isinstance(exc, BACKING_SERVICE_DOWN):
        return None
    log.error("http.backing_service_unavailable", path=getattr(request, "path", None), error=repr(exc))
    unavailable = ServiceUnavailable()
    return error_response(
        unavailable.status,
        unavailable.detail,
        unavailable.code,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# --- DRF -----------------------------------------------------------------------------------------------

_DRF_STATUS = {
    drf.ValidationError: (422, "invalid"),
    drf.ParseError: (422, "malformed_body"),
    drf.NotAuthenticated: (401, "not_authenticated"),
    drf.AuthenticationFailed: (401, "authentication_failed"),
    drf.PermissionDenied: (403, "permission_denied"),
    drf.NotFound: (404, "not_found"),
    drf.MethodNotAllowed: (405, "method_not_allowed"),
    drf.NotAcceptable: (406, "not_acceptable"),
    drf.UnsupportedMediaType: (415, "unsupported_media_type"),
    drf.Throttled: (429, "rate_limited"),
}


def drf_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        return domain_error_response(PayloadTooLarge())
    if isinstance(exc, MultiPartParserError) or isinstance(exc.__context__, MultiPartParserError):
        return malformed_multipart_response()  # DRF wraps Django's parser error in a ParseError
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        # unexpected: Django logs it and answers through handler500
        return outage_response(exc, context.get("request"))
    status, code = next(
        ((s, c) for cls, (s, c) in _DRF_STATUS.items() if isinstance(exc, cls)), (exc.status_code, "error")
    )
    default = drf_default_handler(exc, context)  # keeps WWW-Authenticate, Allow, Retry-After
    headers = {
        k: v
        for k, v in (default.items() if default is not None else [])
        if k in {"WWW-Authenticate", "Allow", "Retry-After"}
    }
    if isinstance(exc, drf.ValidationError):
        return error_response(status, "Datos inválidos.", code, fields=_drf_fields(exc.detail), headers=headers)
    return error_response(status, _first_message(exc.detail), code, headers=headers)


def _drf_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            fields.update(_drf_fields(value, key))
        return fields
    if isinstance(detail, list) and detail and all(isinstance(d, Mapping | list) for d in detail):
        fields = {}
        for index, value in enumerate(detail):
            fields.update(_drf_fields(value, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    messages = [str(d) for d in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages}


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, Mapping) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


# --- Ninja ---------------------------------------------------------------------------------------------


def install_ninja_error_handlers(api) -> None:
    def on_validation(request, exc: ValidationError):
        return error_response(422, "Datos inválidos.", "invalid", fields=ninja_fields(exc.errors))

    def on_http_error(request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, DomainError):  # raised by our parser (e.g. 415) and wrapped by Ninja
            return domain_error_response(cause)
        if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
            return error_response(422, "El cuerpo de la solicitud no es JSON válido.", "malformed_body")
        if isinstance(exc, AuthenticationError):
            response = domain_error_response(NotAuthenticated())
            response["WWW-Authenticate"] = "Bearer"
            return response
        return error_response(exc.status_code, str(exc), _code_for_status(exc.status_code))

    def on_domain_error(request, exc: DomainError):
        return domain_error_response(exc)

    def on_not_found(request, exc):
        return domain_error_response(NotFound())

    def on_forbidden(request, exc):
        return domain_error_response(PermissionDenied())

    def on_too_big(request, exc):
        return domain_error_response(PayloadTooLarge())

    def on_malformed_multipart(request, exc):
        return malformed_multipart_response()

    def on_suspicious(request, exc):  # e.g. too many fields: Django's own answer is a 400
        return error_response(400, "Solicitud incorrecta.", "bad_request")

    def on_unexpected(request, exc):
        outage = outage_response(exc, request)
        if outage is not None:
            return outage
        log.exception("http.unhandled_exception", path=request.path)
        return server_error_response()

    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(DjangoPermissionDenied, on_forbidden)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(MultiPartParserError, on_malformed_multipart)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(Exception, on_unexpected)


def ninja_fields(errors: list[dict]) -> dict[str, list[str]]:
    """Ninja locations look like ("body", "payload", "email") or ("query", "lat"): keep the field."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # drop the source ("body"/"query"/...) and Ninja's name for a whole-body argument
        source, *rest = loc or ["body"]
        parts = rest[1:] if source in {"body", "form"} and len(rest) > 1 else rest
        fields.setdefault(".".join(parts) or "non_field_errors", []).append(_spanish(error))
    return fields


# pydantic's messages are English; the rest of the API (DRF, Django validators) speaks Spanish.
_PYDANTIC_ES = {
    "missing": "Este campo es obligatorio.",
    "int_parsing": "Ingresá un número entero.",
    "int_from_float": "Ingresá un número entero.",
    "float_parsing": "Ingresá un número.",
    "decimal_parsing": "Ingresá un número decimal.",
    "decimal_max_places": "Usá como máximo {decimal_places} decimales.",
    "decimal_max_digits": "Usá como máximo {max_digits} dígitos.",
    "bool_parsing": "Ingresá verdadero o falso.",
    "uuid_parsing": "Ingresá un identificador (UUID) válido.",
    "string_type": "Ingresá un texto.",
    "string_too_short": "Debe tener al menos {min_length} caracteres.",
    "string_too_long": "Debe tener como máximo {max_length} caracteres.",
    "too_short": "Debe tener al menos {min_length} elementos.",
    "too_long": "Debe tener como máximo {max_length} elementos.",
    "greater_than": "Debe ser mayor que {gt}.",
    "greater_than_equal": "Debe ser mayor o igual que {ge}.",
    "less_than": "Debe ser menor que {lt}.",
    "less_than_equal": "Debe ser menor o igual que {le}.",
    "literal_error": "Valor no permitido; opciones: {expected}.",
    "enum": "Valor no permitido; opciones: {expected}.",
    "list_type": "Ingresá una lista.",
    "dict_type": "Ingresá un objeto.",
    "finite_number": "Ingresá un número finito.",
}


def _spanish(error: dict) -> str:
    template = _PYDANTIC_ES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", "Valor inválido."))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(";")[0].split("{")[0].strip() or str(error.get("msg"))


def _code_for_status(status: int) -> str:
    return {
        400: "bad_request",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "payload_too_large",
        415: "unsupported_media_type",
        422: "invalid",
        429: "rate_limited",
        503: "service_unavailable",
    }.get(status, "error")


# --- Django's own error views and middleware ---------------------------------------------------------


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return domain_error_response(PayloadTooLarge())
    return error_response(400, "Solicitud incorrecta.", "bad_request")


def permission_denied(request, exception=None):
    return domain_error_response(PermissionDenied())


def not_found(request, exception=None):
    return domain_error_response(NotFound())


def server_error(request):
    return server_error_response()


class BodyLimitMiddleware:
    """Refuse an oversized body from its Content-Length, before anything reads it (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "Encabezado Content-Length inválido.", "bad_request")
        is_upload = request.content_type == "multipart/form-data"
        limit = settings.MAX_UPLOAD_BODY_BYTES if is_upload else settings.MAX_JSON_BODY_BYTES
        if length > limit:
            return error_response(413, f"El cuerpo de la solicitud supera los {limit} bytes.", "payload_too_large")
        return self.get_response(request)


class ApiErrorBodyMiddleware:
    """A last guard for API paths: any error response that is not already JSON (Django's CSRF page,
    a framework's bare 405) is rewritten into the one error body, keeping its status and headers.
    A plain Django view (the facade RPC endpoint, health, admin) that hits a database or Redis out
    of reach answers 503 with Retry-After like DRF and Ninja do, instead of handler500's 500."""

    _KEEP = ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= HTTPStatus.BAD_REQUEST
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            return error_response(
                status,
                _STATUS_DETAIL.get(status, "No se pudo completar la solicitud."),
                _code_for_status(status) if status != HTTPStatus.INTERNAL_SERVER_ERROR else "server_error",
                headers={h: response[h] for h in self._KEEP if response.has_header(h)},
            )
        return response

    def process_exception(self, request, exception):
        return outage_response(exception, request)  # None: not an outage, Django handles it as before


_STATUS_DETAIL = {
    400: "Solicitud incorrecta.",
    403: "No tenés permiso para realizar esta acción.",
    404: "No encontrado.",
    405: "Método no permitido.",
    413: "El cuerpo de la solicitud es demasiado grande.",
    500: "Ocurrió un error inesperado; quedó registrado.",
}
