"""auth_ctx's own test support (named after the context, so it may use auth_ctx's internals; any
test may call it — see importlinter.ini, context-private)."""

from __future__ import annotations


def access_token_for(account) -> str:
    """An access token exactly as the login route issues it (with the account's `rol` and `tv`),
    without a login: for accounts made directly and for tests where login itself cannot work
    (Redis down)."""
    from conectar.auth_ctx.tokens import issue_pair  # simplejwt reads settings when imported

    return issue_pair(account).access_token
