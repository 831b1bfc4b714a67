"""Reads of the identity context."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count

from conectar.auth_ctx.contracts import AccountDTO, Role, RoleCounts
from conectar.auth_ctx.models import Account


def to_dto(account: Account) -> AccountDTO:
    return AccountDTO(
        id=account.pk,
        email=account.email,
        role=Role(account.role),
        is_active=account.is_active,
        email_verified=account.email_verified,
        created_at=account.created_at,
        last_login=account.last_login,
    )


def account_get(user_id: UUID) -> Account | None:
    return Account.objects.filter(pk=user_id).first()


def accounts_by_ids(user_ids) -> list[Account]:
    return list(Account.objects.filter(pk__in=list(user_ids)))


def accounts_page(*, page: int, limit: int) -> tuple[list[Account], int]:
    queryset = Account.objects.order_by("-created_at", "id")
    offset = (page - 1) * limit
    return list(queryset[offset : offset + limit]), queryset.count()


def accounts_search(*, email_fragment: str, limit: int) -> list[Account]:
    return list(Account.objects.filter(email__icontains=email_fragment.strip().lower()).order_by("email")[:limit])


def role_counts() -> RoleCounts:
    counts = dict(Account.objects.values_list("role").annotate(n=Count("id")).values_list("role", "n"))
    return RoleCounts(
        clientes=counts.get(Role.CLIENTE, 0),
        profesionales=counts.get(Role.PROFESIONAL, 0),
        admins=counts.get(Role.ADMIN, 0),
    )
