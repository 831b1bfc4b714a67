"""Writes of the identity context: registration, login, tokens, passwords, bans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from conectar.auth_ctx import tokens
from conectar.auth_ctx.contracts import (
    SELF_SERVICE_ROLES,
    AlreadyInThatState,
    CannotBanAdmin,
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidResetToken,
    InvalidToken,
    NewAccount,
    PasswordChanged,
    PasswordResetRequested,
    Role,
    TokenPair,
    UserBanned,
    UserLoggedIn,
    UserLoggedOut,
    UserRegistered,
    UserUnbanned,
)
from conectar.auth_ctx.lockout import LoginAttempt
from conectar.auth_ctx.models import Account, normalize_email
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import InvalidInput, NotFound

DB = alias_for("auth_ctx")


def _check_password_strength(password: str, *, field: str, email: str, nombre: str = "", apellido: str = ""):
    # The similarity validator compares with the person's own data; names live in users, so
    # they are passed in rather than read from the account. It names the field it matched through
    # the model's `_meta`, so it needs a real (unsaved) account, not any object with the attributes.
    person = Account(email=email)
    person.first_name, person.last_name = nombre, apellido
    try:
        validate_password(password, user=person)
    except ValidationError as exc:
        raise InvalidInput("La contraseña no es suficientemente segura.", fields={field: exc.messages}) from exc


def account_register(*, email: str, password: str, nombre: str, apellido: str, role: Role) -> Account:
    email = normalize_email(email)
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput(fields={"rol": ["Elegí CLIENTE o PROFESIONAL."]})
    _check_password_strength(password, field="password", email=email, nombre=nombre, apellido=apellido)
    try:
        with transaction.atomic(using=DB):
            account = Account.objects.create_user(email, password, role=role)
            publish(UserRegistered(user_id=account.pk, email=email, rol=Role(role), nombre=nombre, apellido=apellido))
    except IntegrityError as exc:  # the unique index decides, also between concurrent sign-ups
        raise EmailAlreadyRegistered from exc
    return account


def login(*, email: str, password: str, ip: str | None) -> TokenPair:
    email = normalize_email(email)
    with LoginAttempt(email, ip) as attempt:
        # ModelBackend hashes even for an unknown e-mail, so timing does not reveal accounts;
        # it refuses inactive (banned) accounts like wrong passwords.
        account = authenticate(email=email, password=password)
        if account is None:
            raise InvalidCredentials
        attempt.succeeded()
    with transaction.atomic(using=DB):  # one commit for the login's three writes
        Account.objects.filter(pk=account.pk).update(last_login=timezone.now())
        publish(UserLoggedIn(user_id=account.pk))
        return tokens.issue_pair(account)  # records the refresh token as outstanding


def tokens_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate: the presented refresh token dies and a new pair is born, exactly once even when
    the same token is presented twice at the same moment."""
    refresh = tokens.parse_refresh(refresh_token)
    with transaction.atomic(using=DB):
        outstanding = _lock_outstanding(refresh)
        account = tokens.account_for(refresh)
        BlacklistedToken.objects.create(token=outstanding)
        return tokens.issue_pair(account)


def logout(*, account_id: UUID, access_token, refresh_token: str) -> None:
    refresh = tokens.parse_refresh(refresh_token)
    if str(refresh.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])) != str(account_id):
        raise InvalidToken("El refresh token no pertenece a esta sesión.")
    with transaction.atomic(using=DB):
        outstanding = _lock_outstanding(refresh)
        BlacklistedToken.objects.create(token=outstanding)
        tokens.deny_access_token(access_token, account_id=account_id)
        publish(UserLoggedOut(user_id=account_id))  # the account's open chat sockets check their token
    tokens.remember_denied(access_token)


def _lock_outstanding(refresh) -> OutstandingToken:
    outstanding = OutstandingToken.objects.select_for_update().filter(jti=refresh["jti"]).first()
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken
    return outstanding


def _set_password_and_revoke(account: Account, new_password: str, *, via_reset: bool) -> None:
    account.set_password(new_password)
    account.token_version = F("token_version") + 1
    account.save(update_fields=["password", "token_version", "updated_at"])
    account.refresh_from_db(fields=["token_version"])
    tokens.forget_standing(account.pk)
    publish(PasswordChanged(user_id=account.pk, email=account.email, via_reset=via_reset))


def password_change(*, account_id: UUID, current_password: str, new_password: str) -> TokenPair:
    with transaction.atomic(using=DB):
        account = Account.objects.select_for_update().filter(pk=account_id, is_active=True).first()
        if account is None:
            raise NotFound
        if not account.check_password(current_password):
            raise InvalidInput(fields={"current_password": ["La contraseña actual no es correcta."]})
        _check_password_strength(new_password, field="new_password", email=account.email)
        _set_password_and_revoke(account, new_password, via_reset=False)
    return tokens.issue_pair(account)  # every earlier token is dead, this session included


def _reset_token_for(account: Account) -> str:
    return f"{urlsafe_base64_encode(account.pk.bytes)}.{default_token_generator.make_token(account)}"


def password_reset_request(*, email: str) -> None:
    """Publishes the link for an active account; does nothing, silently, for any other e-mail."""
    account = Account.objects.filter(email=normalize_email(email), is_active=True).first()
    if account is None:
        return
    token = _reset_token_for(account)
    with transaction.atomic(using=DB):
        publish(
            PasswordResetRequested(
                user_id=account.pk,
                email=account.email,
                reset_url=f"{settings.FRONTEND_URL}/reset-password?token={token}",
                expires_at=timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
            )
        )


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Single use: the token's hash covers the password hash, so it dies when the password changes."""
    uid_part, _, secret = token.partition(".")
    try:
        account_id = UUID(bytes=urlsafe_base64_decode(uid_part))
    except (ValueError, TypeError) as exc:
        raise InvalidResetToken from exc
    with transaction.atomic(using=DB):
        account = Account.objects.select_for_update().filter(pk=account_id, is_active=True).first()
        if account is None or not default_token_generator.check_token(account, secret):
            raise InvalidResetToken
        _check_password_strength(new_password, field="new_password", email=account.email)
        _set_password_and_revoke(account, new_password, via_reset=True)


def account_ban(*, account_id: UUID, by: UUID) -> Account:
    with transaction.atomic(using=DB):
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound
        if account.role == Role.ADMIN:
            raise CannotBanAdmin
        if not account.is_active:
            raise AlreadyInThatState("La cuenta ya está suspendida.")
        account.is_active = False
        account.token_version = F("token_version") + 1  # every token issued so far stops working
        account.save(update_fields=["is_active", "token_version", "updated_at"])
        account.refresh_from_db(fields=["token_version"])
        tokens.forget_standing(account.pk)
        publish(UserBanned(user_id=account.pk, banned_by=by))
    return account


def account_unban(*, account_id: UUID, by: UUID) -> Account:
    with transaction.atomic(using=DB):
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound
        if account.is_active:
            raise AlreadyInThatState("La cuenta no está suspendida.")
        account.is_active = True
        account.save(update_fields=["is_active", "updated_at"])
        tokens.forget_standing(account.pk)
        publish(UserUnbanned(user_id=account.pk, unbanned_by=by))
    return account


def admin_ensure(*, email: str, password: str, nombre: str, apellido: str) -> tuple[Account, bool]:
    """Create an admin, or make an existing account one; idempotent. Returns (account, created)."""
    email = normalize_email(email)
    with transaction.atomic(using=DB):
        account = Account.objects.select_for_update().filter(email=email).first()
        created = account is None
        if created:
            _check_password_strength(password, field="password", email=email, nombre=nombre, apellido=apellido)
            account = Account.objects.create_superuser(email, password, email_verified=True)
            publish(UserRegistered(user_id=account.pk, email=email, rol=Role.ADMIN, nombre=nombre, apellido=apellido))
        elif (account.role, account.is_staff, account.is_superuser, account.is_active) != (
            Role.ADMIN,
            True,
            True,
            True,
        ):
            account.role, account.is_staff, account.is_superuser, account.is_active = Role.ADMIN, True, True, True
            account.save(update_fields=["role", "is_staff", "is_superuser", "is_active", "updated_at"])
            tokens.forget_standing(account.pk)
    return account, created


def accounts_seed(*, people: Sequence[NewAccount], password: str) -> list[tuple[Account, bool]]:
    """Demo and fixture data: create, in one transaction, the accounts of `people` that do not exist
    yet (e-mail taken as verified, each announced with UserRegistered like a sign-up); existing ones
    are returned untouched. Returns (account, created) per person, in order.

    Every new account gets the same password, hashed once: a real hash of the configured hasher
    that checks like any other, only shared — which demo credentials are anyway — instead of
    paying the hasher's deliberate cost once per account."""
    emails = [normalize_email(person.email) for person in people]
    if len(set(emails)) != len(emails):
        raise ValueError("the same e-mail twice")
    if any(person.role not in SELF_SERVICE_ROLES for person in people):
        raise ValueError("seeded accounts are CLIENTE or PROFESIONAL; admins come from admin_ensure")
    existing = {account.email: account for account in Account.objects.filter(email__in=emails)}
    new = [(email, person) for email, person in zip(emails, people, strict=True) if email not in existing]
    created: dict[str, Account] = {}
    if new:
        for email, person in new:
            _check_password_strength(
                password, field="password", email=email, nombre=person.nombre, apellido=person.apellido
            )
        encoded = make_password(password)
        try:
            with transaction.atomic(using=DB):
                rows = Account.objects.bulk_create(
                    Account(email=email, role=person.role, password=encoded, email_verified=True)
                    for email, person in new
                )
                for account, (email, person) in zip(rows, new, strict=True):
                    publish(
                        UserRegistered(
                            user_id=account.pk,
                            email=email,
                            rol=Role(person.role),
                            nombre=person.nombre,
                            apellido=person.apellido,
                        )
                    )
        except IntegrityError as exc:  # someone signed up with one of these e-mails meanwhile
            raise EmailAlreadyRegistered from exc
        created = {account.email: account for account in rows}
    return [(existing.get(email) or created[email], email in created) for email in emails]
