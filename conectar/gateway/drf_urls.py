"""DRF-served contexts' routes under /api/v1, and the gateway's own staff compositions."""

from django.urls import include, path

from conectar.gateway.admin_metrics import UserMetricsView

urlpatterns = [
    path("", include("conectar.auth_ctx.http.urls")),
    path("", include("conectar.users.http.urls")),
    path("admin/metrics/users", UserMetricsView.as_view(), name="admin-metrics-users"),
]
