"""Reads of ofertas for their routes."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

from conectar.marketplace.models import Oferta
from conectar.shared.errors import NotFound


def ofertas_of(user_id: UUID, *, as_role: str | None = None) -> QuerySet[Oferta]:
    """A person's ofertas, newest first: made (professional) or received (client)."""
    if as_role == "CLIENTE":
        mine = Q(cliente_id=user_id)
    elif as_role == "PROFESIONAL":
        mine = Q(profesional_id=user_id)
    else:
        mine = Q(cliente_id=user_id) | Q(profesional_id=user_id)
    return Oferta.objects.filter(mine).select_related("trabajo").order_by("-created_at", "-id")


def oferta_for(oferta_id: UUID, user_id: UUID) -> Oferta:
    """The oferta if `user_id` is its client or professional; 404 otherwise."""
    oferta = ofertas_of(user_id).filter(pk=oferta_id).first()
    if oferta is None:
        raise NotFound("No encontramos esa oferta.")
    return oferta


def states_in_chat(chat_id: UUID) -> list[str]:
    return list(Oferta.objects.filter(chat_id=chat_id).values_list("estado", flat=True))
