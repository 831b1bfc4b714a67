"""Production settings pass Django's deployment checklist (`check --deploy`) at warning level, and
carry the security defaults the checklist cannot see (cookies, CORS, rate limits)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "CORS_", "RATELIMIT_", "DEBUG"))}
    env.update(
        CONECTAR_ENV="production",
        DJANGO_SETTINGS_MODULE="conectar.settings",
        SECRET_KEY=secrets.token_urlsafe(64),  # 86 random characters
        ALLOWED_HOSTS="api.conectar.example",
        FRONTEND_URL="https://app.conectar.example",
        NOTIFY_CHANNELS="",  # production refuses a notification channel without its credentials
    )
    env.update(overrides)
    return env


def manage(*args: str, **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_at_warning_level_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_a_production_safeguard_is_turned_off():
    """The test above would mean little if the check could not fail here."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false")
    assert result.returncode != 0
    for check in ("security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    name: getattr(settings, name)
    for name in (
        "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "X_FRAME_OPTIONS",
        "CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS", "SECURE_REDIRECT_EXEMPT",
    )
} | {"RATELIMIT_ENABLED": settings.RATELIMIT["ENABLED"]}))
"""


def test_production_defaults_for_cookies_https_cors_and_limits():
    result = manage("shell", "-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["CORS_ALLOWED_ORIGINS"] == ["https://app.conectar.example"], "FRONTEND_URL by default"
    assert values["CORS_ALLOW_CREDENTIALS"] is False
    assert "^health/" in values["SECURE_REDIRECT_EXEMPT"], "load-balancer probes over plain HTTP stay 200"
    assert values["RATELIMIT_ENABLED"] is True
