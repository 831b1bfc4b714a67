"""Contact-shielding infractions and the chat ban they lead to (DOMAIN.md § Chat).

Each message that needed masking is one infraction for its sender; so is each report through the
internal infraction webhook. At `BAN_THRESHOLD` infractions the sender is chat-banned until staff
lift it (Django admin), which also starts their count again from zero."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from conectar.auth_ctx import facade as accounts
from conectar.marketplace.contracts import ChatBanLifted, ChatBanned, ChatBannedError
from conectar.marketplace.models import Chat, ChatInfraction, ChatStanding, Message
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import NotFound

DB = alias_for("marketplace")
BAN_THRESHOLD = 3


def _locked_standing(user_id: UUID) -> ChatStanding:
    # INSERT … ON CONFLICT DO NOTHING, then lock: concurrent first infractions of one user share a row.
    ChatStanding.objects.bulk_create([ChatStanding(user_id=user_id)], ignore_conflicts=True)
    return ChatStanding.objects.select_for_update().get(user_id=user_id)


def banned(user_id: UUID) -> Exists:
    """Whether the user is chat-banned, as an expression other queries can carry."""
    return Exists(ChatStanding.objects.filter(user_id=user_id, is_banned=True))


def ensure_can_send(user_id: UUID) -> None:
    if ChatStanding.objects.filter(user_id=user_id, is_banned=True).exists():
        raise ChatBannedError


def infraction_record(
    *, user_id: UUID, reason: str, chat: Chat | None = None, message: Message | None = None
) -> ChatStanding:
    """Count one infraction (and ban at the threshold). Runs in the caller's transaction if any."""
    with transaction.atomic(using=DB):
        standing = _locked_standing(user_id)
        standing.infractions += 1
        standing.total_infractions += 1
        ChatInfraction.objects.create(standing=standing, chat=chat, message=message, reason=reason[:200])
        if standing.infractions >= BAN_THRESHOLD and not standing.is_banned:
            standing.is_banned = True
            standing.banned_at = timezone.now()
            publish(ChatBanned(user_id=user_id, infractions=standing.infractions))
        standing.save()
        return standing


def ban_lift(*, user_id: UUID, by: UUID | None) -> ChatStanding:
    """Staff let the user chat again; the infraction count starts over (the records stay)."""
    with transaction.atomic(using=DB):
        standing = _locked_standing(user_id)
        if not standing.is_banned:
            return standing
        standing.is_banned = False
        standing.infractions = 0
        standing.lifted_by = by
        standing.lifted_at = timezone.now()
        standing.save()
        publish(ChatBanLifted(user_id=user_id, lifted_by=by))
        return standing


def infraction_report(*, user_id: UUID, reason: str | None) -> ChatStanding:
    """An infraction reported by another service (moderation, the v1 frontend's webhook)."""
    if accounts.get_account(user_id=user_id) is None:
        raise NotFound("No encontramos a ese usuario.")
    return infraction_record(user_id=user_id, reason=(reason or "").strip() or "Reportada por un servicio interno")
