"""Production never imports the development tools: a process with production settings sets Django up,
loads the root URL conf (every include), the ASGI and WSGI applications, Celery's app and every module
of every installed conectar app, and still has no `conectar.devtools` module; the same process in
development has them (so the check can fail) and routes simular-pago."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOAD_WHAT_THE_SERVERS_LOAD = """
import importlib, json, pkgutil, sys, uuid

import django

django.setup()  # INSTALLED_APPS: models, admin autodiscovery, every AppConfig.ready()
from django.apps import apps
from django.conf import settings
from django.urls import Resolver404, get_resolver, resolve


def every_pattern(resolver):
    for pattern in resolver.url_patterns:  # imports each included URL conf
        if hasattr(pattern, "url_patterns"):
            every_pattern(pattern)


importlib.import_module(settings.ROOT_URLCONF)
every_pattern(get_resolver())
for entry_point in ("conectar.asgi", "conectar.wsgi", "conectar.celery"):  # daphne, gunicorn, workers
    importlib.import_module(entry_point)
for config in apps.get_app_configs():
    if config.name.startswith("conectar."):
        for module in pkgutil.walk_packages(config.module.__path__, f"{config.name}."):
            importlib.import_module(module.name)
try:
    resolve(f"/api/v1/admin/trabajo/{uuid.uuid4()}/simular-pago")
    routed = True
except Resolver404:
    routed = False
print(json.dumps({
    "devtools_modules": sorted(m for m in sys.modules if m.split(".")[:2] == ["conectar", "devtools"]),
    "simular_pago_routed": routed,
}))
"""


def load_as(conectar_env: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "DJANGO_"))}
    env.update(
        CONECTAR_ENV=conectar_env,
        DJANGO_SETTINGS_MODULE="conectar.settings",  # the product's settings, not the tests'
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="api.conectar.example",
        FRONTEND_URL="https://app.conectar.example",
        NOTIFY_CHANNELS="",  # production refuses a notification channel without its credentials
    )
    result = subprocess.run(
        [sys.executable, "-c", LOAD_WHAT_THE_SERVERS_LOAD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_loads_no_devtools_module_and_routes_no_simular_pago():
    loaded = load_as("production")
    assert loaded == {"devtools_modules": [], "simular_pago_routed": False}


def test_development_loads_devtools_and_routes_simular_pago():
    loaded = load_as("development")
    assert {"conectar.devtools", "conectar.devtools.apps", "conectar.devtools.urls"} <= set(loaded["devtools_modules"])
    assert loaded["simular_pago_routed"] is True
