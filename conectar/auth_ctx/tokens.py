"""JWTs (simplejwt): what goes into them, and every check that a presented one is still good.

Claims beyond simplejwt's own: `rol` (so other contexts need no lookup for the role) and `tv`, the
account's token version at issue time. Revocation has three tools:
- a refresh token is blacklisted on rotation and on logout (simplejwt's blacklist tables);
- an access token's `jti` is denied (logout) in auth_ctx's database until it would have expired
  anyway;
- bumping the account's token version kills every token issued before (password change, reset,
  ban) — checked on every use, on DRF and Ninja routes alike.

The database is the record; every request reads the account's standing (token version, active flag,
role, staff status, denied jtis) from Redis instead (`conectar.platform.token_standing`: read-through
on a miss, so a flushed or restarted Redis revives nothing; every write calls `forget_standing`
inside its transaction, so a ban, a password change or a logout holds from the very next request).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import redis
import structlog
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Now
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from conectar.auth_ctx.contracts import InvalidToken, TokenPair
from conectar.auth_ctx.models import Account, DeniedAccessToken
from conectar.platform import token_standing
from conectar.platform.auth import TokenUser, VerifiedToken, access_claims
from conectar.platform.databases import alias_for
from conectar.platform.token_standing import Standing

log = structlog.get_logger(__name__)


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


def parse_access(raw: str) -> VerifiedToken:
    claims = access_claims(raw)  # signature, algorithm, expiry and token type
    if claims is None:
        raise InvalidToken
    return claims


def parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # also refuses a blacklisted one
    except TokenError as exc:
        raise InvalidToken from exc


def deny_access_token(token: AccessToken, *, account_id) -> None:
    """Record the logout of `token` inside the caller's transaction (services.logout); expired
    denials are purged here, on write, so the table holds at most the last access lifetime's logouts."""
    expires_at = datetime.fromtimestamp(token["exp"], UTC)
    now = timezone.now()
    if expires_at <= now:
        return
    forget_standing(account_id)
    DeniedAccessToken.objects.filter(expires_at__lte=now).delete()
    DeniedAccessToken.objects.bulk_create(
        [DeniedAccessToken(jti=token["jti"], account_id=account_id, expires_at=expires_at)],
        ignore_conflicts=True,  # the same token logged out twice at once
    )


def remember_denied(token) -> None:
    """After the logout's commit: the cached standing of the account is dropped again (see
    `forget_standing`), so the next check reads the denial from the database."""
    _forget_after_commit(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"]))


def forget_standing(account_id) -> None:
    """Inside the transaction of every write to an account's standing (token version, active flag,
    role, staff status, a denied jti): the cached standing goes now (a Redis error raises, and the
    write rolls back) and again on commit (`token_standing` says why both)."""
    standings = token_standing.store()
    if standings is None:
        return
    user_id = str(account_id)
    standings.forget(user_id)
    transaction.on_commit(lambda: _forget_after_commit(user_id), using=alias_for("auth_ctx"))


def _forget_after_commit(account_id) -> None:
    standings = token_standing.store()
    if standings is None or account_id is None:
        return
    try:
        standings.forget(str(account_id))
    except redis.RedisError as exc:  # the write is committed; the standing's TTL bounds a racing fill
        log.warning("tokens.standing_forget_failed", account_id=str(account_id), error=repr(exc))


def holder_of(token, *, request=None) -> TokenUser:
    """Who a validated access token speaks for, if the token is still honoured: not logged out (its
    jti not denied), the account active, its token version the token's `tv`. One Redis read (none
    when the rate limiter already made it for `request`); SQL only when Redis has no copy."""
    user_id = _account_id(token)
    jti = str(token["jti"])
    standings = token_standing.store()
    if standings is None:  # development without Redis: the database every time
        standing, denied = _standing_from_database(user_id, jti)
    else:
        read = (request is not None and token_standing.prefetched(request, str(user_id), jti)) or standings.read(
            str(user_id), jti
        )
        standing, denied = _read_through(standings, read, user_id)
    return _holder(token, user_id, standing, denied)


def holders_of(tokens: list) -> list[TokenUser | None]:
    """`holder_of` for many validated access tokens, None for each one no longer honoured: one Redis
    round trip for all of them (SQL only for accounts Redis has no copy of)."""
    ids = [(_account_id(token), str(token["jti"])) for token in tokens]
    standings = token_standing.store()
    if standings is None:
        judged = [_standing_from_database(user_id, jti) for user_id, jti in ids]
    else:
        reads = standings.read_many([(str(user_id), jti) for user_id, jti in ids])
        judged = [_read_through(standings, read, user_id) for read, (user_id, _) in zip(reads, ids, strict=True)]
    holders: list[TokenUser | None] = []
    for token, (user_id, _), (standing, denied) in zip(tokens, ids, judged, strict=True):
        try:
            holders.append(_holder(token, user_id, standing, denied))
        except InvalidToken:
            holders.append(None)
    return holders


def _read_through(standings, read, user_id: uuid.UUID) -> tuple[Standing | None, bool]:
    """The standing and denial a read found; on a miss, the database's (a flushed Redis revives
    nothing), stored for the next reader if nothing changed meanwhile."""
    if read.standing is not None:
        return read.standing, read.denied
    standing, denied_jtis = _standing_and_denials(user_id)
    if standing is not None:
        standings.fill(read, standing, denied_jtis)
    return standing, read.jti in denied_jtis


def _holder(token, user_id: uuid.UUID, standing: Standing | None, denied: bool) -> TokenUser:
    if denied or standing is None or not standing.is_active or token.get("tv") != standing.token_version:
        raise InvalidToken
    return TokenUser(pk=user_id, role=standing.role, is_staff=standing.is_staff)


def account_for(token) -> Account:
    """The account row a validated token speaks for, if the token is still honoured; for writes that
    need the row (a refresh issues a new pair). Checks the database itself, not the cache."""
    user_id = _account_id(token)
    account, denied = _account_and_denial(user_id, token["jti"])
    if denied or account is None or not account.is_active or token.get("tv") != account.token_version:
        raise InvalidToken
    return account


def _account_id(token) -> uuid.UUID:
    try:
        return uuid.UUID(str(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])))
    except ValueError as exc:
        raise InvalidToken from exc


def _standing_and_denials(user_id: uuid.UUID) -> tuple[Standing | None, list[str]]:
    """The account's standing and its unexpired denied jtis, in one query (the cache's miss)."""
    alias = alias_for("auth_ctx")
    denials = DeniedAccessToken.objects.using(alias).filter(account_id=OuterRef("pk"), expires_at__gt=Now())
    row = (
        Account.objects.using(alias)
        .filter(pk=user_id)
        .annotate(denied=ArraySubquery(denials.values("jti")))
        .values_list("token_version", "is_active", "role", "is_staff", "denied")
        .first()
    )
    if row is None:
        return None, []
    version, active, role, staff, denied = row
    return Standing(version, active, role, staff), list(denied)


def _standing_from_database(user_id: uuid.UUID, jti: str) -> tuple[Standing | None, bool]:
    standing, denied = _standing_and_denials(user_id)
    return standing, jti in denied


def _account_and_denial(pk: uuid.UUID, jti: str) -> tuple[Account | None, bool]:
    """The account row and whether `jti` is denied, in one query."""
    alias = alias_for("auth_ctx")
    denied = DeniedAccessToken.objects.using(alias).filter(jti=jti)
    account = Account.objects.using(alias).filter(pk=pk).annotate(jti_denied=Exists(denied)).first()
    return account, bool(account is not None and account.jti_denied)
