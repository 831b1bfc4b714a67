"""Everything under /api/v1: DRF routes, the Ninja API, the merged schema and the docs page."""

from django.urls import include, path

from conectar.gateway import drf_urls
from conectar.gateway.api import api
from conectar.gateway.openapi import docs_view, schema_view

urlpatterns = [
    path("schema", schema_view, name="api-schema"),
    path("docs", docs_view, name="api-docs"),
    path("", include(drf_urls)),
    path("", api.urls),
]
