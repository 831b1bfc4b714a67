"""The Ninja API every Ninja-served context mounts its router on."""

from __future__ import annotations

import json

from ninja import NinjaAPI
from ninja.parser import Parser

from conectar.platform.auth import AccessTokenBearer
from conectar.platform.http_errors import install_ninja_error_handlers
from conectar.platform.json_renderer import OrjsonRenderer
from conectar.shared.errors import UnsupportedMediaType

_JSON_TYPES = {"application/json", ""}


class JsonBodyParser(Parser):
    """JSON bodies only: any other declared content type is a 415, not a confusing 422. An empty
    body is an empty object whatever its declared type (v1 clients POST some actions with no body)."""

    def parse_body(self, request):
        if not request.body.strip():
            return {}
        content_type = request.content_type or ""
        if content_type not in _JSON_TYPES and not content_type.endswith("+json"):
            raise UnsupportedMediaType(f"Se esperaba application/json y llegó {content_type}.")
        return json.loads(request.body)


def build_ninja_api(*, urls_namespace: str) -> NinjaAPI:
    api = NinjaAPI(
        title="ConectarProfesionales API",
        version="1.0.0",
        urls_namespace=urls_namespace,
        auth=AccessTokenBearer(),
        parser=JsonBodyParser(),
        renderer=OrjsonRenderer(),
        docs_url=None,  # the gateway serves one merged document and docs page
        openapi_url=None,
    )
    install_ninja_error_handlers(api)
    return api
