"""One OpenAPI 3 document for both frameworks: drf-spectacular's and Ninja's, merged."""

from __future__ import annotations

import copy
from functools import cache

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from conectar.gateway.api import api

API_PREFIX = "/api/v1/"


@cache
def merged_schema() -> dict:
    drf = SchemaGenerator(title="ConectarProfesionales API", version="1.0.0").get_schema(request=None, public=True)
    ninja = api.get_openapi_schema(path_prefix=API_PREFIX)
    return merge_openapi(drf, dict(ninja))


def merge_openapi(drf: dict, ninja: dict) -> dict:
    merged = copy.deepcopy(drf)
    merged["openapi"] = "3.0.3"
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
    return merged


def schema_view(request):
    return JsonResponse(merged_schema(), json_dumps_params={"ensure_ascii": False})


def docs_view(request):
    return render(request, "gateway/docs.html", {"schema_url": reverse("api-schema")})
