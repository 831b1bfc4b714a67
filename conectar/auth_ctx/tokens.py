"""JWTs (simplejwt): what goes into them, and every check that a presented one is still good.

Claims beyond simplejwt's own: `rol` (so other contexts need no lookup for the role) and `tv`, the
account's token version at issue time. Revocation has three tools:
- a refresh token is blacklisted on rotation and on logout (simplejwt's blacklist tables);
- an access token's `jti` is denied in the cache until it would have expired anyway (logout);
- bumping the account's token version kills every token issued before (password change, reset,
  ban) — checked on every use, on DRF and Ninja routes alike.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from conectar.auth_ctx.contracts import InvalidToken, TokenPair
from conectar.auth_ctx.models import Account

_DENY_PREFIX = "auth:denied-jti:"


def issue_pair(account: Account) -> TokenPair:
    refresh = RefreshToken.for_user(account)
    refresh["rol"] = account.role
    refresh["tv"] = account.token_version
    access = refresh.access_token  # copies rol and tv
    return TokenPair(
        access_token=str(access),
        refresh_token=str(refresh),
        expires_in=int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    )


def parse_access(raw: str) -> AccessToken:
    try:
        return AccessToken(raw)  # signature, algorithm, expiry and token type
    except TokenError as exc:
        raise InvalidToken from exc


def parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # also refuses a blacklisted one
    except TokenError as exc:
        raise InvalidToken from exc


def deny_access_token(token: AccessToken) -> None:
    remaining = int(token["exp"] - time.time())
    if remaining > 0:
        cache.set(_DENY_PREFIX + token["jti"], 1, timeout=remaining + 1)


def is_denied(token) -> bool:
    return cache.get(_DENY_PREFIX + token["jti"]) is not None


def account_for(token) -> Account:
    """The account a validated token speaks for, if the token is still honoured."""
    if is_denied(token):
        raise InvalidToken
    user_id = token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])
    account = Account.objects.filter(pk=user_id).first() if user_id else None
    if account is None or not account.is_active or token.get("tv") != account.token_version:
        raise InvalidToken
    return account
