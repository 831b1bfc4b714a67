"""One access token for both frameworks.

DRF authenticates with the classes in `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`; the
Ninja bearer below runs the very same classes, so every check they make (signature, expiry,
revocation, banned accounts) holds on Ninja routes too, with no second implementation.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from ninja.security import HttpBearer
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings

from conectar.shared.errors import PermissionDenied


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


@dataclass(frozen=True)
class ServiceCaller:
    """Another service, authenticated by its key (internal routes)."""

    is_authenticated = True
    is_staff = False
    pk = None
    role = "SERVICE"


SERVICE_KEY_HEADERS = ("HTTP_X_SERVICE_KEY", "HTTP_X_API_KEY")  # X-API-Key: the v1 frontend's webhook


def service_key_is_valid(presented: str | None) -> bool:
    if not presented:
        return False
    # Constant time, and every configured key is compared, so timing reveals neither which key
    # nor how much of one matched.
    results = [hmac.compare_digest(presented.encode(), key.encode()) for key in settings.INTERNAL_SERVICE_KEYS if key]
    return any(results)


class ServiceKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        presented = next((request.META[h] for h in SERVICE_KEY_HEADERS if request.META.get(h)), None)
        if presented is None:
            return None
        if not service_key_is_valid(presented):
            raise drf_exceptions.AuthenticationFailed("Clave de servicio inválida.")
        return ServiceCaller(), None

    def authenticate_header(self, request):
        return "X-Service-Key"


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    target_class = ServiceKeyAuthentication
    name = "ServiceKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Service-Key"}
