from django.contrib import admin
from django.urls import include, path

from conectar.platform import health

urlpatterns = [
    path("api/v1/", include("conectar.gateway.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
]

handler400 = "conectar.platform.http_errors.bad_request"
handler403 = "conectar.platform.http_errors.permission_denied"
handler404 = "conectar.platform.http_errors.not_found"
handler500 = "conectar.platform.http_errors.server_error"
