"""One access token for both frameworks.

DRF authenticates with the classes in `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`; the
Ninja bearer below runs the very same classes, so every check they make (signature, expiry,
revocation, banned accounts) holds on Ninja routes too, with no second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from ninja.security import APIKeyHeader, HttpBearer
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings

from conectar.platform.service_auth import ServiceCaller, authenticate_service, key_owner
from conectar.shared.errors import PermissionDenied

__all__ = [
    "AccessTokenBearer",
    "Principal",
    "RoleBearer",
    "ServiceCaller",
    "ServiceKey",
    "ServiceKeyAuthentication",
    "service_key_is_valid",
]


@dataclass(frozen=True)
class Principal:
    """Who is calling, as every context sees them: an account id and a role, nothing more."""

    user_id: UUID
    role: str
    is_staff: bool
    token_id: str | None = None
    is_authenticated = True  # so role checks read a Principal and a DRF user alike

    @classmethod
    def from_user(cls, user, token=None) -> Principal:
        return cls(
            user_id=user.pk,
            role=getattr(user, "role", ""),
            is_staff=bool(getattr(user, "is_staff", False)),
            token_id=token.get("jti") if token is not None else None,
        )


class AccessTokenBearer(HttpBearer):
    """Ninja's bearer, delegating to DRF's configured authenticators."""

    def authenticate(self, request, token):
        for authenticator_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
            try:
                result = authenticator_class().authenticate(request)
            except drf_exceptions.AuthenticationFailed:
                return None  # Ninja answers 401 through the platform's error handlers
            if result is not None:
                user, validated = result
                request.user = user
                return Principal.from_user(user, validated)
        return None


class RoleBearer(AccessTokenBearer):
    """The access token, and one of `roles`: a wrong role is a 403 before the body is even parsed
    (so a client probing a professional route learns nothing from validation errors)."""

    def __init__(self, *roles: str):
        super().__init__()
        self.roles = frozenset(roles)

    def authenticate(self, request, token):
        principal = super().authenticate(request, token)
        if principal is not None and principal.role not in self.roles:
            raise PermissionDenied
        return principal


def service_key_is_valid(presented: str | None) -> bool:
    """Is this one of the configured internal service keys (compared in constant time)?"""
    return key_owner(presented) is not None


class ServiceKeyAuthentication(BaseAuthentication):
    """DRF: a service's key header or HMAC signature (`conectar.platform.service_auth`). Wrong, stale
    or replayed credentials raise the platform's 401 with a detail saying why, as on Ninja routes."""

    def authenticate(self, request):
        caller = authenticate_service(request)
        return (caller, None) if caller is not None else None

    def authenticate_header(self, request):
        return "X-Service-Key"


class ServiceKey(APIKeyHeader):
    """Ninja: the same service credentials. None when the request carries none (so another scheme of
    the route, such as the staff bearer, may try); wrong, stale or replayed ones are a 401 at once."""

    param_name = "X-Service-Key"

    def _get_key(self, request):
        return None  # authenticate() reads every header it needs

    def authenticate(self, request, key):
        return authenticate_service(request)


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    target_class = ServiceKeyAuthentication
    name = "ServiceKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Service-Key"}
