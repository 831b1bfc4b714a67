"""The internal service key (`X-Service-Key`, or `X-API-Key` as the v1 frontend's webhooks send it)
for routes that staff or another service may call."""

from __future__ import annotations

from ninja.security import APIKeyHeader

from conectar.platform.auth import service_key_is_valid


class ServiceKeyHeader(APIKeyHeader):
    """A valid key authenticates; a missing or wrong one lets the next scheme (the staff bearer) try."""

    param_name = "X-Service-Key"

    def _get_key(self, request):
        return request.headers.get("X-Service-Key") or request.headers.get("X-API-Key")

    def authenticate(self, request, key):
        return "service" if service_key_is_valid(key) else None
