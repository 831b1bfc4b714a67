"""Security headers on API responses, the docs page and Django admin, and CORS from the allow-list."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from conectar.platform import breakers

pytestmark = pytest.mark.django_db(databases="__all__")

API = "/api/v1/public/oficios"
FRONTEND = "https://app.conectar.example"


class Scripts(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def directives(policy: str) -> dict[str, str]:
    parts = [p.strip().split(" ", 1) for p in policy.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.mark.parametrize("path", [API, "/api/v1/no-such-route", "/api/v1/users/me"])
def test_api_responses_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = directives(response["Content-Security-Policy"])
    assert csp["default-src"] == "'none'", "a JSON body rendered as a page can load and run nothing"
    assert csp["frame-ancestors"] == "'none'"


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    assert client.get(API, secure=True)["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert not client.get(API).has_header("Strict-Transport-Security"), "never over plain HTTP"


def test_the_docs_page_runs_only_its_own_scripts_and_its_nonced_inline_one(client):
    first, second = client.get("/api/v1/docs"), client.get("/api/v1/docs")
    assert first.status_code == 200
    csp = directives(first["Content-Security-Policy"])
    sources = csp["script-src"].split()
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    nonce = next(s for s in sources if s.startswith("'nonce-"))[len("'nonce-") : -1]
    scripts = Scripts(first.content.decode()).scripts
    inline = [s for s in scripts if "src" not in s]
    assert [s.get("nonce") for s in inline] == [nonce], "the one inline script carries this response's nonce"
    assert all(s["src"].startswith("/static/") for s in scripts if "src" in s), "script files from our origin"
    assert csp["connect-src"] == "'self'", "Swagger UI fetches the schema from here"
    assert nonce not in second["Content-Security-Policy"], "a fresh nonce per response"


def test_django_admin_has_a_csp_that_its_pages_live_within(client, django_user_model):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    csp = directives(login["Content-Security-Policy"])
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    staff = django_user_model.objects.create_superuser("staff-csp@example.com", "Clave-Segura-2024")
    client.force_login(staff)
    for page in ("/admin/", "/admin/auth_ctx/account/", f"/admin/auth_ctx/account/{staff.pk}/change/"):
        response = client.get(page)
        assert response.status_code == 200, page
        scripts = Scripts(response.content.decode()).scripts
        executable = [s for s in scripts if s.get("type", "text/javascript") != "application/json"]
        assert all("src" in s for s in executable), f"{page}: an inline script would be blocked"


# --- CORS -----------------------------------------------------------------------------------------------


@pytest.fixture
def frontend(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return FRONTEND


def test_the_frontend_url_is_the_default_allowed_origin(settings):
    assert settings.CORS_ALLOWED_ORIGINS == [settings.FRONTEND_URL]


def test_a_preflight_from_an_allowed_origin_is_answered(client, frontend):
    response = client.options(
        "/api/v1/payment/refund",
        HTTP_ORIGIN=frontend,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == frontend
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "x-request-id"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert not response.has_header("Access-Control-Allow-Credentials"), "bearer tokens, no cookies"


def test_other_origins_get_no_cors_grant(client, frontend):
    preflight = client.options(API, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert not preflight.has_header("Access-Control-Allow-Origin")
    assert not client.get(API, HTTP_ORIGIN="https://evil.example").has_header("Access-Control-Allow-Origin")


def test_api_responses_expose_the_headers_the_frontend_reads(client, frontend):
    response = client.get(API, HTTP_ORIGIN=frontend)
    assert response["Access-Control-Allow-Origin"] == frontend
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
        "x-request-id",
        "x-next-cursor",
    } <= exposed


def test_a_rate_limited_answer_is_readable_by_the_frontend(client, frontend, settings):
    breakers.reset_all()  # the limiter's breaker closed, whatever ran before
    settings.RATELIMIT = {
        **settings.RATELIMIT,
        "ENABLED": True,
        "CLASSES": {**settings.RATELIMIT["CLASSES"], "default": {"limit": 1, "window": 60}},
    }
    client.get(API, HTTP_ORIGIN=frontend)
    refused = client.get(API, HTTP_ORIGIN=frontend)
    assert refused.status_code == 429
    assert refused["Access-Control-Allow-Origin"] == frontend
    assert "retry-after" in refused["Access-Control-Expose-Headers"].lower()


def test_cors_is_only_for_the_api(client, frontend):
    assert not client.get("/health/live", HTTP_ORIGIN=frontend).has_header("Access-Control-Allow-Origin")
