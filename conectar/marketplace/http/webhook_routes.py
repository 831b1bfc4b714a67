"""Internal webhook: another service reports a chat infraction (API.md: POST /webhook/chat/infraction,
authenticated with the service key in `X-API-Key`, as the v1 frontend's webhook sends it)."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Schema
from ninja.security import APIKeyHeader
from pydantic import Field

from conectar.marketplace.services import bans
from conectar.platform.auth import service_key_is_valid


class ServiceKeyHeader(APIKeyHeader):
    """The internal service key in `X-API-Key` (the v1 frontend's webhook) or `X-Service-Key`: a
    missing or wrong key is a 401 before the body is read."""

    param_name = "X-API-Key"

    def _get_key(self, request):
        return request.headers.get("X-API-Key") or request.headers.get("X-Service-Key")

    def authenticate(self, request, key):
        return "service" if service_key_is_valid(key) else None


router = Router(tags=["internal"], auth=ServiceKeyHeader())


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
