"""One access token for both frameworks.

DRF authenticates with the classes in `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`; the
Ninja bearer below runs the very same classes, so every check they make (signature, expiry,
revocation, banned accounts) holds on Ninja routes too, with no second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ninja.security import HttpBearer
from rest_framework import exceptions as drf_exceptions
from rest_framework.settings import api_settings
from rest_framework_simplejwt.authentication import JWTAuthentication


@dataclass(frozen=True)
class Principal:
    """Who is calling, as every context sees them: an account id and a role, nothing more."""

    user_id: UUID
    role: str
    is_staff: bool
    token_id: str | None = None

    @classmethod
    def from_user(cls, user, token=None) -> Principal:
        return cls(
            user_id=user.pk,
            role=getattr(user, "role", ""),
            is_staff=bool(getattr(user, "is_staff", False)),
            token_id=token.get("jti") if token is not None else None,
        )


class AccessTokenAuthentication(JWTAuthentication):
    """simplejwt access tokens (`Authorization: Bearer …`)."""


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
