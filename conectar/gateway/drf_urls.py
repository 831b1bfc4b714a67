"""DRF-served contexts' routes under /api/v1, and the gateway's own staff compositions."""

from django.urls import include, path

from conectar.gateway.admin_metrics import UserMetricsView

urlpatterns = [
    path("", include("conectar.auth_ctx.http.urls")),
    # users' routes answer v1's UserRead, joining auth_ctx, users and marketplace: the gateway's own
    path("", include("conectar.gateway.compositions.users")),
    path("admin/metrics/users", UserMetricsView.as_view(), name="admin-metrics-users"),
]
