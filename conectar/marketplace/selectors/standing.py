"""Reads of the contact-shielding records (infractions and chat bans), shaped for the facade."""

from __future__ import annotations

from uuid import UUID

from conectar.marketplace.contracts import ChatStandingDTO
from conectar.marketplace.models import ChatStanding


def standings_of(user_ids: list[UUID]) -> dict[UUID, ChatStandingDTO]:
    """Every given user's record, one query; a user without one has a clean record."""
    found = {
        row["user_id"]: row
        for row in ChatStanding.objects.filter(user_id__in=user_ids).values("user_id", "infractions", "is_banned")
    }
    return {
        user_id: ChatStandingDTO(
            user_id=user_id,
            infracciones=found[user_id]["infractions"] if user_id in found else 0,
            is_banned=found[user_id]["is_banned"] if user_id in found else False,
        )
        for user_id in user_ids
    }
