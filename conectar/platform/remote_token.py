"""The access-token check of a service that does not run auth_ctx (a lifted context).

simplejwt checks the signature, algorithm, type and expiry here, with the shared signing key, so
garbage never costs a call; then the accounts context, wherever it runs, says whether the token is
still good (not logged out, account not banned, no password change since) through its facade
(`settings.ACCESS_TOKEN_VALIDATOR`, named by string: the platform imports no context). The person
is what every route reads: an id, a role and staff status, never a database row of another context.
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from conectar.platform.auth import TokenUser
from conectar.shared.errors import DomainError

# The account behind a token, as the accounts facade described it: the same person every local route sees.
RemoteAccount = TokenUser


class RemoteAccessTokenAuthentication(JWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        raw = self.get_raw_token(header) if header is not None else None
        if raw is None:
            return None
        validated = self.get_validated_token(raw)
        validate = import_string(settings.ACCESS_TOKEN_VALIDATOR)
        try:
            claims = validate(token=raw.decode() if isinstance(raw, bytes) else raw)
        except DomainError as exc:
            if exc.status != HTTPStatus.UNAUTHORIZED:  # the accounts service unreachable: a 503, not a logout
                raise
            raise AuthenticationFailed(exc.detail, code=exc.code) from exc
        role = getattr(claims.role, "value", claims.role)
        return RemoteAccount(pk=claims.user_id, role=role, is_staff=claims.is_staff), validated
