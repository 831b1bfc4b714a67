from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from conectar.gateway.v1_root import welcome
from conectar.platform import health
from conectar.platform.lifting.rpc import facade_call
from conectar.platform.media import PUBLIC_MEDIA_PATTERN, serve_public_media
from conectar.platform.metrics.exposition import metrics_view

urlpatterns = [
    path("", welcome, name="welcome"),  # v1's GET / (V1-CONTRACT R1)
    path("api/v1/", include("conectar.gateway.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; restricted in production
    # Other services call this process's facades here (platform/lifting): signed, never public.
    path("internal/rpc/<str:context>/<str:function>", facade_call, name="facade-rpc"),
]

if apps.is_installed("django.contrib.admin"):  # the gateway process (staff's admin); not a context's service
    urlpatterns.append(path("admin/", admin.site.urls))

if apps.is_installed("conectar.devtools"):  # development and tests only (settings.DEVTOOLS)
    # Ahead of the gateway, whose proxy may claim a lifted context's prefixes under /api/v1.
    urlpatterns.insert(1, path("api/v1/", include("conectar.devtools.urls")))

if settings.STORAGE_BACKEND == "filesystem" and not settings.PRODUCTION:
    # Development serves uploaded public files itself; production puts them behind a web server or S3.
    urlpatterns.append(re_path(PUBLIC_MEDIA_PATTERN, serve_public_media))

handler400 = "conectar.platform.http_errors.bad_request"
handler403 = "conectar.platform.http_errors.permission_denied"
handler404 = "conectar.platform.http_errors.not_found"
handler500 = "conectar.platform.http_errors.server_error"
