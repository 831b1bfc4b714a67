"""PUBLIC: what other contexts and the gateway may ask of the identity context.
Keyword-only arguments, DTOs from contracts.py in and out."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from conectar.auth_ctx.contracts import (
    AccountDTO,
    AccountPage,
    InvalidToken,
    NewAccount,
    Role,
    RoleCounts,
    TokenClaims,
    TokenPair,
)
from conectar.platform.lifting.facades import Facade

context = Facade("auth_ctx")
if context.runs_here:  # the internals exist only where auth_ctx runs
    from conectar.auth_ctx import selectors, services, tokens


@context.function(idempotent=True)
def get_account(*, user_id: UUID) -> AccountDTO | None:
    account = selectors.account_get(user_id)
    return selectors.to_dto(account) if account else None


@context.function(idempotent=True)
def get_accounts(*, user_ids: list[UUID]) -> dict[UUID, AccountDTO]:
    return {a.pk: selectors.to_dto(a) for a in selectors.accounts_by_ids(user_ids)}


@context.function(idempotent=True)
def list_accounts(*, page: int, limit: int) -> AccountPage:
    accounts, total = selectors.accounts_page(page=page, limit=limit)
    return AccountPage(accounts=[selectors.to_dto(a) for a in accounts], total=total, page=page, limit=limit)


@context.function(idempotent=True)
def search_accounts(*, email_fragment: str, limit: int = 50) -> list[AccountDTO]:
    return [selectors.to_dto(a) for a in selectors.accounts_search(email_fragment=email_fragment, limit=limit)]


@context.function(idempotent=True)
def count_by_role() -> RoleCounts:
    return selectors.role_counts()


@context.function(idempotent=False)
def change_password(*, user_id: UUID, current_password: str, new_password: str) -> TokenPair:
    return services.password_change(account_id=user_id, current_password=current_password, new_password=new_password)


@context.function(idempotent=False)
def ban(*, user_id: UUID, by: UUID) -> AccountDTO:
    return selectors.to_dto(services.account_ban(account_id=user_id, by=by))


@context.function(idempotent=False)
def unban(*, user_id: UUID, by: UUID) -> AccountDTO:
    return selectors.to_dto(services.account_unban(account_id=user_id, by=by))


@context.function(idempotent=True)
def validate_access_token(*, token: str) -> TokenClaims:
    """Is this access token good, and whose is it? What a lifted service asks per request and the
    chat socket at connect: one Redis read, no SQL (`tokens.holder_of`)."""
    access = tokens.parse_access(token)
    return _claims(access, tokens.holder_of(access))


@context.function(idempotent=True)
def validate_access_tokens(*, access_tokens: list[str]) -> list[TokenClaims | None]:
    """`validate_access_token` for many tokens at once, None for each one no longer good: one Redis
    round trip for all of them. What the chat writer asks for the frames of a batch."""
    parsed = [_parsed_or_none(raw) for raw in access_tokens]
    valid = [access for access in parsed if access is not None]
    holders = iter(tokens.holders_of(valid))
    claims = []
    for access in parsed:
        holder = next(holders) if access is not None else None
        claims.append(_claims(access, holder) if holder is not None else None)
    return claims


def _parsed_or_none(raw: str):
    try:
        return tokens.parse_access(raw)  # signature, algorithm, expiry and token type
    except InvalidToken:
        return None


def _claims(access, holder) -> TokenClaims:
    return TokenClaims(
        user_id=holder.pk,
        role=Role(holder.role),
        is_active=holder.is_active,
        is_staff=holder.is_staff,
        expires_at=datetime.fromtimestamp(access["exp"], UTC),
    )


@context.function(idempotent=True)
def ensure_admin(
    *, email: str, password: str, nombre: str = "Admin", apellido: str = "Conectar"
) -> tuple[AccountDTO, bool]:
    """Create a staff admin or make an existing account one (idempotent; an existing password is
    kept). Returns (account, created)."""
    account, created = services.admin_ensure(email=email, password=password, nombre=nombre, apellido=apellido)
    return selectors.to_dto(account), created


@context.function(idempotent=True)
def seed_accounts(*, people: list[NewAccount], password: str) -> list[tuple[AccountDTO, bool]]:
    """Demo and fixture data only: the accounts of `people`, created where missing, all sharing one
    password hashed once (see `services.accounts_seed`). (account, created) per person, in order."""
    return [(selectors.to_dto(a), created) for a, created in services.accounts_seed(people=people, password=password)]
