"""What the professionals context shows of a professional's account (its e-mail), asked of auth_ctx
through its facade: one call per page."""

from __future__ import annotations

from uuid import UUID

from conectar.auth_ctx import facade as accounts


def account_emails(usuario_ids: list[UUID]) -> dict[UUID, str]:
    return {uid: account.email for uid, account in accounts.get_accounts(user_ids=usuario_ids).items()}
