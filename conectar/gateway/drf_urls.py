"""DRF-served contexts' routes under /api/v1, and the gateway's own staff compositions."""

from django.conf import settings
from django.urls import include, path

from conectar.gateway.admin_metrics import UserMetricsView

# The DRF-served contexts; mounted only where they run (a lifted one is proxied: gateway/proxy.py).
CONTEXT_URLCONFS = {"auth_ctx": "conectar.auth_ctx.http.urls"}

urlpatterns = [
    *(path("", include(urlconf)) for ctx, urlconf in CONTEXT_URLCONFS.items() if ctx in settings.CONTEXTS_HERE),
]
if not settings.CONECTAR_SERVICE:  # the gateway's own routes; a context's service serves only its own
    urlpatterns += [
        # users' routes answer v1's UserRead, joining auth_ctx, users and marketplace: the gateway's own
        path("", include("conectar.gateway.compositions.users")),
        path("admin/metrics/users", UserMetricsView.as_view(), name="admin-metrics-users"),
    ]
