"""Internal webhook: another service reports a chat infraction (API.md: POST /webhook/chat/infraction,
authenticated with the service key in `X-API-Key`, as the v1 frontend's webhook sends it, or with the
platform's HMAC service signature)."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Schema
from pydantic import Field

from conectar.marketplace.services import bans
from conectar.platform.auth import ServiceKey

# The platform's service credentials: a key in `X-API-Key` / `X-Service-Key`, or an HMAC signature.
router = Router(tags=["internal"], auth=ServiceKey())


class InfractionIn(Schema):
    user_id: UUID
    reason: str | None = Field(default=None, max_length=200)


@router.post("/webhook/chat/infraction", response=dict, summary="Count a chat infraction (internal)")
def infraction_webhook(request, payload: InfractionIn):
    standing = bans.infraction_report(user_id=payload.user_id, reason=payload.reason)
    if standing.is_banned:
        message = f"Infracción registrada; el usuario quedó bloqueado del chat ({standing.infractions} infracciones)."
    else:
        message = f"Infracción registrada ({standing.infractions} de {bans.BAN_THRESHOLD})."
    return {
        "user_id": str(payload.user_id),
        "infracciones_chat": standing.infractions,
        "is_chat_banned": standing.is_banned,
        "message": message,
    }
