"""PUBLIC: what other contexts may know of accounts — roles, DTOs, events, exceptions.
Standard library only."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from conectar.shared.errors import Conflict, DomainError, NotAuthenticated
from conectar.shared.events import DomainEvent


class Role(enum.StrEnum):
    CLIENTE = "CLIENTE"
    PROFESIONAL = "PROFESIONAL"
    ADMIN = "ADMIN"


SELF_SERVICE_ROLES = (Role.CLIENTE, Role.PROFESIONAL)  # ADMIN only by command or another admin


@dataclass(frozen=True)
class AccountDTO:
    id: UUID
    email: str
    role: Role
    is_active: bool
    email_verified: bool
    created_at: datetime
    last_login: datetime | None


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    role: Role
    is_active: bool
    is_staff: bool = False
    expires_at: datetime | None = None  # the token's `exp`: e.g. when a chat socket must close


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AccountDTO]
    total: int
    page: int
    limit: int


@dataclass(frozen=True)
class RoleCounts:
    clientes: int
    profesionales: int
    admins: int


@dataclass(frozen=True)
class NewAccount:
    """A person created directly rather than through sign-up: demo and fixture data."""

    email: str
    nombre: str
    apellido: str
    role: Role


# --- exceptions ---------------------------------------------------------------------------------


class EmailAlreadyRegistered(Conflict):
    code = "email_taken"
    default_detail = "Ya existe una cuenta con ese e-mail."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_detail = "E-mail o contraseña incorrectos."


class InvalidToken(NotAuthenticated):
    code = "token_invalid"
    default_detail = "El token no es válido o expiró."


class InvalidResetToken(DomainError):
    code = "reset_token_invalid"
    default_detail = "El enlace para restablecer la contraseña no es válido o expiró."


class CannotBanAdmin(DomainError):
    code = "cannot_ban_admin"
    default_detail = "Las cuentas de administrador no se pueden suspender."


class AlreadyInThatState(DomainError):
    code = "already_in_state"


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    name: ClassVar[str] = "auth_ctx.user_registered"
    user_id: UUID
    email: str
    rol: Role
    nombre: str
    apellido: str


@dataclass(frozen=True, kw_only=True)
class UserLoggedIn(DomainEvent):
    name: ClassVar[str] = "auth_ctx.user_logged_in"
    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class UserLoggedOut(DomainEvent):
    """A session ended: its access token is denied and its refresh token blacklisted."""

    name: ClassVar[str] = "auth_ctx.user_logged_out"
    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(DomainEvent):
    name: ClassVar[str] = "auth_ctx.password_changed"
    user_id: UUID
    email: str
    via_reset: bool


@dataclass(frozen=True, kw_only=True)
class PasswordResetRequested(DomainEvent):
    """Carries the one-time link: the notifications context e-mails it (security e-mail)."""

    name: ClassVar[str] = "auth_ctx.password_reset_requested"
    user_id: UUID
    email: str
    reset_url: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class UserBanned(DomainEvent):
    name: ClassVar[str] = "auth_ctx.user_banned"
    user_id: UUID
    banned_by: UUID


@dataclass(frozen=True, kw_only=True)
class UserUnbanned(DomainEvent):
    name: ClassVar[str] = "auth_ctx.user_unbanned"
    user_id: UUID
    unbanned_by: UUID


def user_read_body(
    account: AccountDTO,
    *,
    nombre: str,
    apellido: str,
    avatar_url: str | None,
    infracciones_chat: int,
    is_chat_banned: bool,
    telefono: str | None = None,
) -> dict:
    """The v1 frontend's `UserRead`: one shape wherever an account is shown. `avatar_url` absolute
    (V1-CONTRACT § 0.3); the chat standing is the marketplace's (its facade's `chat_standing`)."""
    return {
        "id": str(account.id),
        "email": account.email,
        "nombre": nombre,
        "apellido": apellido,
        "telefono": telefono,
        "rol": account.role.value,
        "is_active": account.is_active,
        "email_verified": account.email_verified,
        "fecha_creacion": account.created_at.isoformat(),
        "avatar_url": avatar_url,
        "infracciones_chat": infracciones_chat,
        "is_chat_banned": is_chat_banned,
        "es_admin": account.role == Role.ADMIN,
        "es_profesional": account.role == Role.PROFESIONAL,
        "es_cliente": account.role == Role.CLIENTE,
    }
