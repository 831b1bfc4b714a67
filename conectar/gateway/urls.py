"""Everything under /api/v1: DRF routes, the Ninja API, the merged schema and the docs page."""

from django.conf import settings
from django.urls import include, path

from conectar.gateway import drf_urls
from conectar.gateway.api import api
from conectar.gateway.openapi import docs_view, schema_view
from conectar.gateway.proxy import proxy_urlpatterns
from conectar.gateway.v1_root import health

urlpatterns = [
    path("health", health, name="api-health"),
    path("schema", schema_view, name="api-schema"),
    path("docs", docs_view, name="api-docs"),
    # The gateway process sends a lifted context's paths to its service (mounted nowhere else here).
    *proxy_urlpatterns({} if settings.CONECTAR_SERVICE else settings.REMOTE_CONTEXTS),
    path("", include(drf_urls)),
    path("", api.urls),
]
