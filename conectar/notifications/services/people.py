"""What the notifications context asks auth_ctx about the people it serves (through its facade)."""

from __future__ import annotations

from uuid import UUID

from conectar.auth_ctx import facade as accounts


def is_known_account(user_id: UUID) -> bool:
    return accounts.get_account(user_id=user_id) is not None
