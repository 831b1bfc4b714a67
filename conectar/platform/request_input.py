"""Input no route can store or parse, refused before any view runs, for DRF, Ninja and Django alike.

The platform-wide rule (API.md § Conventions):
- **Text** — every JSON string (keys too), query parameter, form field and the path — must be
  Unicode PostgreSQL can store: a NUL (U+0000) or a lone surrogate (`"\\ud800"`) is refused with
  422 `invalid` naming the field (`fields.<dotted path>`), never stripped: silently changing what a
  person wrote is worse than telling them. The chat WebSocket applies the same check to its frames.
- **JSON** nested deeper than `MAX_JSON_DEPTH` is refused with 400 `too_deeply_nested` (no body of
  this API nests more than a few levels; 100,000 levels would blow Python's recursion limit).
- **multipart/form-data** without a usable boundary is refused with 400 `malformed_multipart`;
  Django's parser fails the same way on a broken body later, and the error handlers answer alike.
- A query string or form with more parameters than Django allows is 400 `bad_request`.

A JSON body is parsed here once more than the frameworks do (bodies are at most
`MAX_JSON_BODY_BYTES`, usually a few hundred bytes: microseconds); malformed JSON is left to the
frameworks, which answer 422 `malformed_body`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParser
from django.utils.http import parse_header_parameters

from conectar.platform.http_errors import domain_error_response, error_response
from conectar.shared.errors import DomainError, InvalidInput

MAX_JSON_DEPTH = 32
UNSTORABLE_TEXT = "No se admiten el carácter NUL (U+0000) ni sustitutos Unicode sueltos."
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_JSON_TYPES = {"application/json", ""}


class TooDeeplyNested(DomainError):
    status = 400
    code = "too_deeply_nested"
    default_detail = f"El JSON anida más de {MAX_JSON_DEPTH} niveles."


class MalformedMultipart(DomainError):
    status = 400
    code = "malformed_multipart"
    default_detail = "El cuerpo multipart/form-data está mal formado (¿falta el boundary?)."


class TooManyParameters(DomainError):
    status = 400
    code = "bad_request"
    default_detail = "La solicitud tiene demasiados parámetros."


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def check_json_value(data: Any, *, prefix: str = "") -> None:
    """Walk a decoded JSON value (iteratively: depth is what is being checked) and raise
    TooDeeplyNested or InvalidInput naming the first unstorable string's dotted path."""
    stack: list[tuple[Any, str, int]] = [(data, prefix, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                raise _unstorable(path)
        elif isinstance(value, Mapping | list):
            if depth >= MAX_JSON_DEPTH:
                raise TooDeeplyNested
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not is_storable(key):
                    raise _unstorable(path or "non_field_errors")
                stack.append((item, child, depth + 1))


def loads_json(raw: bytes | str) -> Any:
    """`json.loads`, with this module's depth and text rules (ValueError for malformed JSON)."""
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise TooDeeplyNested from exc
    check_json_value(data)
    return data


def check_parameters(pairs: Iterable[tuple[str, Iterable[str]]]) -> None:
    for name, values in pairs:
        if not is_storable(name):
            raise _unstorable("non_field_errors")
        if any(not is_storable(value) for value in values if isinstance(value, str)):
            raise _unstorable(name)


def check_multipart_content_type(content_type: str) -> None:
    """Django's own test of the header (MultiPartParser.__init__), without reading the body."""
    try:
        content_type.encode("ascii")
    except UnicodeEncodeError as exc:
        raise MalformedMultipart from exc
    _, options = parse_header_parameters(content_type)
    boundary = options.get("boundary")
    if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
        raise MalformedMultipart


def _unstorable(field: str) -> InvalidInput:
    return InvalidInput(UNSTORABLE_TEXT, fields={field or "non_field_errors": [UNSTORABLE_TEXT]})


class RequestInputMiddleware:
    """Applies the rules above to every request: path, query string, and a JSON, urlencoded or
    multipart body (multipart: its header only; its fields go through the frameworks' parsers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            self._check(request)
        except DomainError as exc:
            return domain_error_response(exc)
        except RequestDataTooBig:
            return error_response(413, "El cuerpo de la solicitud es demasiado grande.", "payload_too_large")
        except SuspiciousOperation:  # too many fields (query string or form)
            return domain_error_response(TooManyParameters())
        return self.get_response(request)

    @staticmethod
    def _check(request) -> None:
        if not is_storable(request.path):
            raise _unstorable("path")
        check_parameters(request.GET.lists())
        if request.method in {"GET", "HEAD", "OPTIONS"} and not request.META.get("CONTENT_LENGTH"):
            return
        content_type = request.content_type or ""
        if content_type.startswith("multipart/"):
            check_multipart_content_type(request.META.get("CONTENT_TYPE", ""))
        elif content_type == "application/x-www-form-urlencoded":
            check_parameters(request.POST.lists())
        elif (content_type in _JSON_TYPES or content_type.endswith("+json")) and request.body:
            try:
                loads_json(request.body)
            except ValueError:  # malformed (or not UTF-8): the frameworks answer 422 malformed_body
                return
