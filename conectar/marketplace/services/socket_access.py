"""Whether an open chat socket may go on, and making every socket of an account ask that at once.

A socket lives as long as the credential it was opened with, exactly as the REST routes honour it;
auth_ctx decides, and the marketplace learns it three ways, none of which polls:
- auth_ctx's events (logout, password change or reset, ban) reach `handlers`, which send one message
  to the account's group (`account.<user_id>`): every socket of that account, in every server process,
  joined it at connect (RedisPubSubChannelLayer fans a group message out to all of them), and each
  checks its own token again and closes if it is no longer honoured. So a logout closes the sockets
  of that session's token and no other device's, while a password change or reset or a ban — which
  kill every earlier token — close them all, and a socket opened with the new password's token stays;
- the token's own `exp`, which the socket schedules its close for at connect;
- every frame that would store something has its token checked by the writer, right before the
  batch it is in is stored (`refusals`: the batch's tokens in one Redis round trip), so a frame that
  overtakes its revocation's message is refused too.

Close codes: 4401 when the token is no longer good (logged out, password changed or reset, expired);
4403 when the account is banned (reconnecting cannot help)."""

from __future__ import annotations

from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from conectar.auth_ctx import facade as accounts

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CHECK_MESSAGE = "account.credentials_changed"  # handled by ChatConsumer.account_credentials_changed


class SocketRefused(Exception):
    """A frame's token is no longer honoured: nothing of it was stored, its socket closes."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def account_group(user_id: UUID) -> str:
    return f"account.{user_id}"


def check_account_sockets(*, user_id: UUID) -> None:
    """Make every chat socket of `user_id`, in every process, check its token now. Raises when the
    channel layer is out of reach, so the event bus retries the handler (checking twice is harmless)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(account_group(user_id), {"type": CHECK_MESSAGE})


def refusals(callers: list[tuple[str, UUID]]) -> list[int | None]:
    """`refusal` for each (token, user id) of a batch: each distinct token checked once, all of them
    in one round trip; the accounts are read only for the (rare) refused ones."""
    distinct = list(dict.fromkeys(token for token, _ in callers))
    honoured = {
        token: claims is not None
        for token, claims in zip(distinct, accounts.validate_access_tokens(access_tokens=distinct), strict=True)
    }
    codes: dict[tuple[str, UUID], int | None] = {}
    for caller in callers:
        if caller not in codes:
            codes[caller] = None if honoured[caller[0]] else _refusal_code(caller[1])
    return [codes[caller] for caller in callers]


def refusal(*, token: str, user_id: UUID) -> int | None:
    """None while `token` is still honoured; else the close code. The account is read only on that
    (rare) path, to tell a ban (4403) from a revoked or expired token (4401)."""
    return refusals([(token, user_id)])[0]


def _refusal_code(user_id: UUID) -> int:
    """Why a token is no longer honoured: 4403 for a banned account, else 4401."""
    account = accounts.get_account(user_id=user_id)
    banned = account is not None and not account.is_active
    return CLOSE_FORBIDDEN if banned else CLOSE_UNAUTHENTICATED
