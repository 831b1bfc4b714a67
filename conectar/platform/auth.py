"""One access token for both frameworks.

DRF authenticates with the classes in `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`; the
Ninja bearer below runs the very same classes, so every check they make (signature, expiry,
revocation, banned accounts) holds on Ninja routes too, with no second implementation.

`access_claims` is the token's own check (signature, algorithm, expiry, type), shared by the rate
limiter (which keys buckets by the user id) and the authenticators, verified once per token and
process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

import jwt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from ninja.security import APIKeyHeader, HttpBearer
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from conectar.platform.service_auth import ServiceCaller, authenticate_service, key_owner
from conectar.shared.errors import PermissionDenied

__all__ = [
    "AccessTokenBearer",
    "Principal",
    "RoleBearer",
    "ServiceCaller",
    "ServiceKey",
    "ServiceKeyAuthentication",
    "TokenUser",
    "VerifiedToken",
    "access_claims",
    "bearer_claims",
    "service_key_is_valid",
]


# --- the token's own check -----------------------------------------------------------------------------


class VerifiedToken(dict):
    """The claims of an access token whose signature, algorithm, expiry and type were checked; what
    DRF routes get as `request.auth` (read like simplejwt's token: `token["jti"]`, `token.get(...)`)."""

    def __init__(self, raw: str, claims: dict):
        super().__init__(claims)
        self.token = raw

    @property
    def payload(self) -> dict:
        return self

    def __str__(self) -> str:
        return self.token


def bearer_claims(request) -> VerifiedToken | None:
    """The claims of the request's `Authorization: Bearer` access token, if it is one and valid
    (checked once per request: the limiter and the authenticator both ask)."""
    request = getattr(request, "_request", request)  # DRF's request wraps Django's
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    raw = header[7:].strip()
    known = getattr(request, _CLAIMS_ATTRIBUTE, None)
    if known is not None and known[0] == raw:
        return known[1]
    claims = access_claims(raw)
    setattr(request, _CLAIMS_ATTRIBUTE, (raw, claims))
    return claims


_CLAIMS_ATTRIBUTE = "_bearer_claims"


def access_claims(raw: str) -> VerifiedToken | None:
    """simplejwt's checks of an access token (signature and algorithm, `exp` with the leeway, `nbf`,
    the token type, a `jti`), without its per-token cost; None for anything that fails one."""
    algorithm = jwt_settings.ALGORITHM
    try:
        if algorithm in _HMACS:
            claims = _hmac_claims(raw, algorithm, jwt_settings.SIGNING_KEY)
        else:
            claims = jwt.decode(raw, jwt_settings.VERIFYING_KEY, algorithms=[algorithm], options={"verify_aud": False})
    except (jwt.PyJWTError, ValueError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        return None
    now, leeway = time.time(), _leeway()
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(exp, int | float) or exp + leeway < now:
        return None
    if not isinstance(nbf, int | float) or nbf - leeway > now:
        return None
    if claims.get(jwt_settings.TOKEN_TYPE_CLAIM) != "access" or not claims.get(jwt_settings.JTI_CLAIM):
        return None
    return VerifiedToken(raw, claims)


# simplejwt's HS* tokens are checked here directly: PyJWT's generic decode costs ~100 µs a token
# (key-format probing, per-character alphabet checks), more than the rest of a request's auth.
_HMACS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@lru_cache(maxsize=4096)  # a client sends the same token for its whole life: verify it once per process
def _hmac_claims(token: str, algorithm: str, key: str | bytes) -> dict:
    header, payload, signature = token.split(".")  # ValueError unless exactly three parts
    if json.loads(_b64(header)).get("alg") != algorithm:  # never "none", never another algorithm
        raise ValueError("unexpected algorithm")
    secret = key.encode() if isinstance(key, str) else key
    expected = hmac.new(secret, f"{header}.{payload}".encode(), _HMACS[algorithm]).digest()
    if not hmac.compare_digest(expected, _b64(signature)):
        raise ValueError("bad signature")
    claims = json.loads(_b64(payload))
    if not isinstance(claims, dict):
        raise TypeError("claims must be an object")
    return claims


def _leeway() -> float:
    leeway = jwt_settings.LEEWAY
    return leeway.total_seconds() if hasattr(leeway, "total_seconds") else float(leeway)


# --- who is calling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenUser:
    """`request.user` of a token-authenticated request: what routes read of the caller (id, role,
    staff status), from the token and the account's standing, never a database row."""

    pk: UUID
    role: str
    is_staff: bool
    is_active: bool = True
    is_authenticated = True
    is_anonymous = False

    @property
    def id(self) -> UUID:
        return self.pk


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

    def __call__(self, request):
        # Ninja's own reads `request.headers`, which builds a dict of every header (~20 µs) to read one.
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        for authenticator in _authenticators(tuple(api_settings.DEFAULT_AUTHENTICATION_CLASSES)):
            try:
                result = authenticator.authenticate(request)
            except drf_exceptions.AuthenticationFailed:
                return None  # Ninja answers 401 through the platform's error handlers
            if result is not None:
                user, validated = result
                request.user = user
                return Principal.from_user(user, validated)
        return None


@lru_cache(maxsize=4)
def _authenticators(classes: tuple) -> tuple:
    """One instance per configured class (they hold no request state): building simplejwt's looks up
    the user model every time."""
    return tuple(cls() for cls in classes)


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
