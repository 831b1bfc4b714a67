"""The ways auth_ctx revokes an account's credentials, through the real routes, and the close code
each must give that account's open chat sockets (conectar/marketplace/services/socket_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from rest_framework_simplejwt.tokens import AccessToken

from conectar.marketplace.models import Message, ReadState
from tests.marketplace.helpers import JSON, Pair
from tests.support.accounts import STRONG_PASSWORD, Session, admin_session
from tests.support.events import published

# how -> the close code its sockets get: a credential that is no longer good, or a ban.
REVOCATIONS = {"logout": 4401, "password_change": 4401, "password_reset": 4401, "ban": 4403}
NEW_PASSWORD = "Clave-Nueva-Segura-2026"


def _ok(response):
    assert response.status_code in {200, 204}, response.content
    return response


def revocation(client, how: str, who: Session, django_user_model) -> Callable[[], object]:
    """The revoking request, ready to send (it returns the response): everything before it (an
    admin's session, the reset link) is done here, so the caller times the revocation alone."""
    if how == "logout":
        body = {"refresh_token": who.refresh}
        return lambda: _ok(client.post("/api/v1/auth/logout", body, content_type=JSON, headers=who.headers))
    if how == "password_change":
        body = {"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD}
        return lambda: _ok(client.patch("/api/v1/users/me/password", body, content_type=JSON, headers=who.headers))
    if how == "password_reset":
        _ok(client.post("/api/v1/auth/forgot-password", {"email": who.email}, content_type=JSON))
        [link] = [e["reset_url"] for e in published("auth_ctx.password_reset_requested.v1", "default")]
        body = {"token": parse_qs(urlparse(link).query)["token"][0], "new_password": NEW_PASSWORD}
        return lambda: _ok(client.post("/api/v1/auth/reset-password", body, content_type=JSON))
    if how == "ban":
        admin = admin_session(client, django_user_model)
        return lambda: _ok(client.post(f"/api/v1/admin/users/{who.user_id}/ban", headers=admin.headers))
    raise ValueError(how)


def expiring_token(access: str, *, seconds: int) -> tuple[str, int]:
    """`access` re-signed (simplejwt, the same key) to expire in `seconds`; and its `exp`."""
    token = AccessToken(access)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token), token["exp"]


def nothing_stored_for(pair: Pair) -> bool:
    """No message from the client and no read mark of theirs in the pair's chat."""
    no_message = not Message.objects.filter(chat_id=pair.chat_id, sender_id=pair.cliente.user_id).exists()
    no_read = not ReadState.objects.filter(
        chat_id=pair.chat_id, user_id=pair.cliente.user_id, last_read_message__isnull=False
    ).exists()
    return no_message and no_read
