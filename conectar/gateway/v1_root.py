"""v1's two informational routes (V1-CONTRACT § 3.2): `GET /` (outside /api/v1) and
`GET /api/v1/health`. The platform's own probes stay at /health/live and /health/ready."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from conectar.platform.health import database_state, postgis_state

APP_NAME = "Marketplace de Profesionales"
VERSION = "1.0.0"


@require_GET
def welcome(request):
    return JsonResponse(
        {
            "status": "ok",
            "message": f"Bienvenido a {APP_NAME}",
            "version": VERSION,
            "docs": reverse("api-docs"),
            "security": "enabled",
        }
    )


@require_GET
def health(request):
    """Always 200 (as v1): what the databases and PostGIS answer right now is in the body."""
    return JsonResponse(
        {
            "status": "ok",
            "app_name": APP_NAME,
            "version": VERSION,
            "database": database_state(),
            "postgis": postgis_state(),
        }
    )
