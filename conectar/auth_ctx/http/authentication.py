"""The access-token check every route uses (DRF directly, Ninja through the platform bearer)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from conectar.auth_ctx import tokens
from conectar.auth_ctx.contracts import InvalidToken


class AccountTokenAuthentication(JWTAuthentication):
    """simplejwt's signature, algorithm, expiry and type checks, then the account's own: not
    logged out (denied jti), not banned, and no password change or ban since the token was made."""

    def get_user(self, validated_token):
        try:
            return tokens.account_for(validated_token)
        except InvalidToken as exc:
            raise AuthenticationFailed(exc.detail, code=exc.code) from exc


class AccountTokenScheme(OpenApiAuthenticationExtension):
    """Documents the DRF routes' auth under the same scheme name as Ninja's bearer."""

    target_class = AccountTokenAuthentication
    name = "AccessTokenBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
