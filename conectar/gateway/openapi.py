"""One OpenAPI 3.1 document for both frameworks: drf-spectacular's and Ninja's, merged.

Made honest on the way: one bearer scheme (every bearer token of this API is the same access JWT,
whatever class checks it), and every `exclusiveMinimum`/`exclusiveMaximum` carries its `minimum`/
`maximum` too (valid for JSON Schema validators of either draft; fuzzers such as schemathesis refuse
a bare one).

With contexts lifted (ARCHITECTURE.md § Lifting a context) the gateway cannot import their routes:
each lifted context's service serves its own part (`context_schema`) at /api/v1/schema, and the
gateway merges it in place of the routes that context owns (route_owners.py), so clients read the
same document either way (tests/gateway/test_schema_merge.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import include, reverse
from django.urls import path as url_path
from drf_spectacular.generators import SchemaGenerator

from conectar.gateway.api import api
from conectar.gateway.drf_urls import CONTEXT_URLCONFS
from conectar.gateway.proxy import fetch_json
from conectar.gateway.route_owners import owner_of
from conectar.platform.http_errors import domain_error_response
from conectar.shared.errors import ServiceUnavailable

API_PREFIX = "/api/v1/"
SCHEMA_PATH = f"{API_PREFIX}schema"


@cache
def local_documents() -> tuple[dict, dict]:
    """DRF's and Ninja's documents of the routes this process mounts (fixed at start)."""
    # Only the gateway's routes: a deployment's (or the tests') other DRF views are not this API.
    gateway = [url_path(API_PREFIX.lstrip("/"), include("conectar.gateway.urls"))]
    drf = SchemaGenerator(title="ConectarProfesionales API", version="1.0.0", patterns=gateway).get_schema(
        request=None, public=True
    )
    return drf, dict(api.get_openapi_schema(path_prefix=API_PREFIX))


def merged_schema() -> dict:
    """The one document of /api/v1, the same whether contexts are lifted or not. ServiceUnavailable
    while a lifted context's service has not yet given its part (never a partial document)."""
    return gateway_schema({} if settings.CONECTAR_SERVICE else settings.REMOTE_CONTEXTS)


_composed: dict[tuple, dict] = {}
_remote: dict[tuple[str, str], dict] = {}


def gateway_schema(remote_contexts: Mapping[str, str]) -> dict:
    """This process's routes, minus any a remote context owns, plus each remote context's own
    document (its service's `context_schema`), merged as the monolith merges DRF and Ninja.

    A service's document is fetched once and kept for the life of the process: it is the same code
    base as the gateway, so its routes change only with a deploy. A failed fetch is not kept; the
    next request for the schema asks again."""
    key = tuple(sorted(remote_contexts.items()))
    found = _composed.get(key)
    if found is None:
        fetched = {context: remote_document(context, url) for context, url in remote_contexts.items()}
        drf, ninja = (_without_paths_of(document, remote_contexts) for document in local_documents())
        # DRF's first, then Ninja's (on a component name both define, DRF's wins), as in the monolith.
        found = merge_openapi(
            drf,
            *(document for context, document in fetched.items() if context in CONTEXT_URLCONFS),
            ninja,
            *(document for context, document in fetched.items() if context not in CONTEXT_URLCONFS),
        )
        _composed[key] = found
    return found


def remote_document(context: str, base_url: str) -> dict:
    key = (context, base_url)
    found = _remote.get(key)
    if found is None:
        found = _remote[key] = fetch_json(context, base_url, SCHEMA_PATH)
    return found


@cache
def context_schema(context: str) -> dict:
    """The document of one context's own routes, as mounted in this process: what the context's
    service answers at /api/v1/schema, and what the gateway merges when the context is lifted."""
    drf, ninja = (_keeping_paths(document, lambda owner: owner == context) for document in local_documents())
    return merge_openapi(drf, ninja)


def _without_paths_of(document: dict, contexts: Iterable[str]) -> dict:
    # A lifted context's service is the authority for its paths: a local copy (none in a real
    # gateway process; all of them in a monolith asked to compose) gives way to the service's.
    contexts = set(contexts)
    return _keeping_paths(document, lambda owner: owner not in contexts)


def _keeping_paths(document: dict, keep: Callable[[str | None], bool]) -> dict:
    """`document` with the paths whose owner `keep` accepts, and without the components only the
    other paths used. Components no path uses (Ninja lists its query models there) are kept: they
    belong to no path, so every part has them and the merge keeps one."""
    paths = document.get("paths", {})
    kept = {path: ops for path, ops in paths.items() if keep(owner_of(path.removeprefix(API_PREFIX)))}
    if len(kept) == len(paths):
        return document
    dropped = {path: ops for path, ops in paths.items() if path not in kept}
    still_used = _used_components(document, kept)
    orphaned = _used_components(document, dropped) - still_used
    components = {
        section: {name: value for name, value in entries.items() if (section, name) not in orphaned}
        for section, entries in document.get("components", {}).items()
    }
    return {**document, "paths": kept, "components": components}


_REF = re.compile(r"^#/components/([^/]+)/([^/]+)$")


def _used_components(document: dict, paths: dict) -> set[tuple[str, str]]:
    """(section, name) of every component `paths` use: through $ref, transitively, and the
    security schemes their operations name."""
    components = document.get("components", {})
    used: set[tuple[str, str]] = set()
    pending: list = [paths]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            match = _REF.match(ref) if isinstance(ref, str) else None
            if match and match.groups() not in used and match.group(2) in components.get(match.group(1), {}):
                used.add(match.groups())
                pending.append(components[match.group(1)][match.group(2)])
            security = node.get("security")
            if isinstance(security, list):
                used.update(("securitySchemes", name) for requirement in security for name in requirement)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return used


def merge_openapi(first: dict, *others: dict) -> dict:
    """`first` (DRF's document) with every path and component of the others; on a component name
    already present, the earlier document's wins (both describe the same body)."""
    merged = copy.deepcopy(first)
    merged["openapi"] = "3.1.0"  # Ninja's version; drf-spectacular is set to emit 3.1 too (settings)
    merged["info"] = {
        "title": "ConectarProfesionales API",
        "version": "1.0.0",
        "description": "Routes served by DRF (auth_ctx, users) and Ninja (the other contexts), one document.",
    }
    paths = merged.setdefault("paths", {})
    components = merged.setdefault("components", {})
    for other in others:
        for path, operations in other.get("paths", {}).items():
            paths.setdefault(path, {}).update(copy.deepcopy(operations))
        for section, entries in other.get("components", {}).items():
            target = components.setdefault(section, {})
            for name, value in entries.items():
                target.setdefault(name, copy.deepcopy(value))
    merged["paths"] = dict(sorted(paths.items()))
    _one_bearer_scheme(merged)
    _bounds_with_exclusive_bounds(merged)
    _document_error_answers(merged)
    # By name, so the document reads the same whichever process contributed which part.
    merged["components"] = {section: dict(sorted(entries.items())) for section, entries in components.items()}
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
    """The gateway's whole document; a context's service answers its own part, which the gateway merges."""
    try:
        document = context_schema(settings.CONECTAR_SERVICE) if settings.CONECTAR_SERVICE else merged_schema()
    except ServiceUnavailable as exc:  # a lifted context's part is missing: 503, not a partial document
        return domain_error_response(exc)
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


def docs_view(request):
    return render(request, "gateway/docs.html", {"schema_url": reverse("api-schema")})
