"""One OpenAPI 3.1 document for both frameworks: drf-spectacular's and Ninja's, merged.

Made honest on the way: one bearer scheme (every bearer token of this API is the same access JWT,
whatever class checks it), and every `exclusiveMinimum`/`exclusiveMaximum` carries its `minimum`/
`maximum` too (valid for JSON Schema validators of either draft; fuzzers such as schemathesis refuse
a bare one).
"""

from __future__ import annotations

import copy
from functools import cache

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import include, reverse
from django.urls import path as url_path
from drf_spectacular.generators import SchemaGenerator

from conectar.gateway.api import api

API_PREFIX = "/api/v1/"


@cache
def merged_schema() -> dict:
    # Only the gateway's routes: a deployment's (or the tests') other DRF views are not this API.
    gateway = [url_path(API_PREFIX.lstrip("/"), include("conectar.gateway.urls"))]
    drf = SchemaGenerator(title="ConectarProfesionales API", version="1.0.0", patterns=gateway).get_schema(
        request=None, public=True
    )
    ninja = api.get_openapi_schema(path_prefix=API_PREFIX)
    return merge_openapi(drf, dict(ninja))


def merge_openapi(drf: dict, ninja: dict) -> dict:
    merged = copy.deepcopy(drf)
    merged["openapi"] = "3.1.0"  # Ninja's version; drf-spectacular is set to emit 3.1 too (settings)
    merged["info"] = {
        "title": "ConectarProfesionales API",
        "version": "1.0.0",
        "description": "Routes served by DRF (auth_ctx, users) and Ninja (the other contexts), one document.",
    }
    paths = merged.setdefault("paths", {})
    for path, operations in ninja.get("paths", {}).items():
        paths.setdefault(path, {}).update(operations)
    components = merged.setdefault("components", {})
    for section, entries in ninja.get("components", {}).items():
        target = components.setdefault(section, {})
        for name, value in entries.items():
            target.setdefault(name, value)  # same name: DRF's wins; both describe the same body
    merged["paths"] = dict(sorted(paths.items()))
    _one_bearer_scheme(merged)
    _bounds_with_exclusive_bounds(merged)
    _document_error_answers(merged)
    return merged


ERROR_BODY = {
    "type": "object",
    "description": "The one error body of every route (API.md § Conventions).",
    "properties": {
        "detail": {"type": "string", "description": "Human message (Spanish)."},
        "code": {"type": "string", "description": "Stable machine code."},
        "fields": {
            "type": "object",
            "description": "Validation messages per field (dotted path for nested input); only for 422.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": False,
}
_ERRORS_EVERY_ROUTE = {
    "400": "A business rule refused it or the request is malformed (`code` says which)",
    "404": "Not found (also someone else's private object)",
    "422": "Invalid input (`fields` names each field)",
    "429": "Rate limited (with Retry-After)",
    "503": "A backing service is down (with Retry-After): try again later",
}
_ERRORS_WITH_AUTH = {
    "401": "No access token, or it is invalid, expired or revoked",
    "403": "Wrong role, or not yours",
}
_ERRORS_WITH_BODY = {
    "413": "Body too large",
    "415": "Wrong content type (or, for an upload, wrong file type)",
}


def _document_error_answers(document: dict) -> None:
    """Every route may answer these (API.md); each is the one error body. A route's own
    declaration of a status, if any, is kept."""
    document.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ERROR_BODY
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            errors = dict(_ERRORS_EVERY_ROUTE)
            if any(requirement for requirement in operation.get("security", [])):
                errors.update(_ERRORS_WITH_AUTH)
            if "requestBody" in operation:
                errors.update(_ERRORS_WITH_BODY)
            # Ninja's status keys are ints until serialised: one spelling, so none is declared twice
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status, description in sorted(errors.items()):
                responses.setdefault(status, {"description": description, "content": error})
            for status, response in responses.items():
                if status[0] in "45" and not response.get("content"):  # declared by a route, body implied
                    response["content"] = error


BEARER = "AccessTokenBearer"  # drf-spectacular's name for the access JWT (platform.auth)


def _one_bearer_scheme(document: dict) -> None:
    """Ninja names a scheme after each auth class (RoleBearer, ProfessionalBearer, …): all are the
    same `Authorization: Bearer <access JWT>`, so Swagger's Authorize must ask for it once."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    aliases = {
        name
        for name, scheme in schemes.items()
        if name != BEARER and scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }
    if not aliases:
        return
    schemes.setdefault(BEARER, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for name in aliases:
        del schemes[name]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "security" not in operation:
                continue
            requirements = []
            for requirement in operation["security"]:
                renamed = {BEARER if name in aliases else name: scopes for name, scopes in requirement.items()}
                if renamed not in requirements:
                    requirements.append(renamed)
            operation["security"] = requirements


def _bounds_with_exclusive_bounds(node) -> None:
    if isinstance(node, dict):
        for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            bound = node.get(exclusive)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                node.setdefault(inclusive, bound)  # with the exclusive bound, still "> bound" / "< bound"
        for value in node.values():
            _bounds_with_exclusive_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _bounds_with_exclusive_bounds(value)


def schema_view(request):
    return JsonResponse(merged_schema(), json_dumps_params={"ensure_ascii": False})


def docs_view(request):
    return render(request, "gateway/docs.html", {"schema_url": reverse("api-schema")})
