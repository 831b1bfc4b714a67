import contextlib
import os

import pytest
from django.db import connections

from conectar.celery import app as celery_app
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(databases="__all__")


@contextlib.contextmanager
def database_unreachable(alias):
    settings_dict = connections.settings[alias]
    original = settings_dict["PORT"]
    settings_dict["PORT"] = unused_port()
    try:
        yield
    finally:
        settings_dict["PORT"] = original


def test_live(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_v1_root_and_health(client):
    assert client.get("/").json() == {
        "status": "ok",
        "message": "Bienvenido a Marketplace de Profesionales",
        "version": "1.0.0",
        "docs": "/api/v1/docs",
        "security": "enabled",
    }
    body = client.get("/api/v1/health").json()
    assert (body["status"], body["app_name"], body["database"]) == ("ok", "Marketplace de Profesionales", "connected")
    assert body["postgis"]["status"] == "available"
    assert body["postgis"]["version"]


def test_v1_health_reports_an_unreachable_database_and_still_answers_200(client):
    with database_unreachable("marketplace"):
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"].startswith("error: marketplace: ")


def test_ready_checks_every_context_database_the_cache_and_the_broker(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert set(checks) == {
        "database:default",
        "database:users",
        "database:professionals",
        "database:marketplace",
        "database:payments",
        "database:notifications",
        "cache",
        "broker",
    }
    assert set(checks.values()) == {"ok"}


def test_ready_is_503_naming_a_database_that_is_down(client):
    with database_unreachable("payments"):
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"]["database:payments"].startswith("down")
    assert body["checks"]["database:users"] == "ok"
    assert "database:payments" in body["detail"]


def test_ready_is_503_naming_the_broker_when_it_is_down(client):
    """Only this process loses its broker (a port nobody listens on); the shared test worker
    keeps its connection (the event-bus outage test is the one that takes it from everyone)."""
    original = os.environ["CELERY_BROKER_URL"]
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{unused_port()}/0"  # read before Celery's own config
    celery_app.close()
    try:
        response = client.get("/health/ready")
    finally:
        os.environ["CELERY_BROKER_URL"] = original
        celery_app.close()
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("down")
    assert "broker" in response.json()["detail"]


def test_ready_is_503_naming_the_cache_when_it_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
        }
    }
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("down")


def test_the_merged_schema_has_drf_and_ninja_routes(client):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert "get" in paths["/api/v1/session"], "a Ninja route"
    assert "post" in paths["/api/v1/auth/login"], "a DRF route"
    assert "patch" in paths["/api/v1/users/me"], "a DRF route"
    schemes = schema["components"]["securitySchemes"]
    assert schemes["AccessTokenBearer"]["scheme"] == "bearer", "one bearer scheme for both frameworks"
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"AccessTokenBearer": []}]
    assert paths["/api/v1/session"]["get"]["security"] == [{"AccessTokenBearer": []}]


def test_docs_page_serves_swagger_ui_pointing_at_the_schema(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/v1/schema" in html


def test_every_operation_has_its_own_id(client):
    paths = client.get("/api/v1/schema").json()["paths"]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids)), "seed and v1 paths sharing a handler need distinct operation ids"
