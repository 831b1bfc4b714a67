"""Content-Security-Policy per kind of page; the other security headers are Django's.

Django's `SecurityMiddleware` sends HSTS (production, over HTTPS), `X-Content-Type-Options: nosniff`,
`Referrer-Policy` and `Cross-Origin-Opener-Policy`, and `XFrameOptionsMiddleware` the frame denial,
all configured in settings. Django 5.2 has no CSP, so this middleware adds one from
`settings.CONTENT_SECURITY_POLICIES`: `(path prefix, policy)` pairs, the first matching prefix wins —
Django admin (everything from our own origin, nothing inline), the docs page (Swagger UI's static
files, its one inline script allowed by a per-response nonce) and the JSON API (`default-src
'none'`: a JSON body rendered as a page by mistake can load and run nothing). A `{nonce}` in a
policy is replaced by a fresh random value, which the page reads as `request.csp_nonce`.
"""

from __future__ import annotations

import secrets
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

HEADER = "Content-Security-Policy"


@cache
def _policies() -> tuple[tuple[str, str], ...]:
    return tuple((prefix, " ".join(policy.split())) for prefix, policy in settings.CONTENT_SECURITY_POLICIES)


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "CONTENT_SECURITY_POLICIES":
        _policies.cache_clear()


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        policy = next((policy for prefix, policy in _policies() if path.startswith(prefix)), None)
        if policy is None:
            return self.get_response(request)
        if "{nonce}" in policy:
            request.csp_nonce = secrets.token_urlsafe(18)
            policy = policy.replace("{nonce}", request.csp_nonce)
        response = self.get_response(request)
        if HEADER not in response:  # a view that set its own policy knows better
            response[HEADER] = policy
        return response
