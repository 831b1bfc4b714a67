"""The access-token check every route uses (DRF directly, Ninja through the platform bearer)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken as SimpleJwtInvalidToken

from conectar.auth_ctx import tokens
from conectar.auth_ctx.contracts import InvalidToken
from conectar.platform.auth import access_claims, bearer_claims


class AccountTokenAuthentication(JWTAuthentication):
    """The token's own checks (signature, algorithm, expiry, type), then the account's: not logged
    out (denied jti), not banned, and no password change or ban since the token was made.
    `request.user` is a `TokenUser` (id, role, staff status), not the account row: routes read
    nothing else of it, and building it needs no SQL (`tokens.holder_of`)."""

    def authenticate(self, request):
        header = self.get_header(request)
        raw = self.get_raw_token(header) if header is not None else None
        if raw is None:
            return None
        raw = raw.decode() if isinstance(raw, bytes) else raw
        validated = bearer_claims(request)  # the limiter's check of this very header, if it ran
        if validated is None or validated.token != raw:
            validated = access_claims(raw)
        if validated is None:
            raise SimpleJwtInvalidToken("El token no es válido o expiró.")
        try:
            return tokens.holder_of(validated, request=request), validated
        except InvalidToken as exc:
            raise AuthenticationFailed(exc.detail, code=exc.code) from exc


class AccountTokenScheme(OpenApiAuthenticationExtension):
    """Documents the DRF routes' auth under the same scheme name as Ninja's bearer."""

    target_class = AccountTokenAuthentication
    name = "AccessTokenBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
