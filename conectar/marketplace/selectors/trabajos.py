"""Reads of trabajos for their routes and the facade."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

from conectar.marketplace.contracts import TrabajoDTO
from conectar.marketplace.models import Trabajo
from conectar.shared.errors import NotFound


def to_dto(trabajo: Trabajo) -> TrabajoDTO:
    return TrabajoDTO(
        id=trabajo.pk,
        cliente_id=trabajo.cliente_id,
        profesional_id=trabajo.profesional_id,
        oferta_id=trabajo.oferta_id,
        chat_id=trabajo.chat_id,
        estado=trabajo.estado,
        precio_final=trabajo.precio_final,
        tasa_comision=trabajo.tasa_comision,
    )


def trabajo_by_id(trabajo_id: UUID) -> Trabajo | None:
    return Trabajo.objects.filter(pk=trabajo_id).first()


def trabajos_of(user_id: UUID, *, as_role: str | None = None) -> QuerySet[Trabajo]:
    if as_role == "CLIENTE":
        mine = Q(cliente_id=user_id)
    elif as_role == "PROFESIONAL":
        mine = Q(profesional_id=user_id)
    else:
        mine = Q(cliente_id=user_id) | Q(profesional_id=user_id)
    return Trabajo.objects.filter(mine).order_by("-created_at", "-id")


def trabajo_for(trabajo_id: UUID, user_id: UUID, *, is_staff: bool = False) -> Trabajo:
    """The trabajo if `user_id` takes part in it (staff: any); 404 otherwise."""
    found = Trabajo.objects.filter(pk=trabajo_id)
    if not is_staff:
        found = found.filter(Q(cliente_id=user_id) | Q(profesional_id=user_id))
    trabajo = found.first()
    if trabajo is None:
        raise NotFound("No encontramos ese trabajo.")
    return trabajo


def trabajos_for_staff(*, estado: str | None = None) -> QuerySet[Trabajo]:
    found = Trabajo.objects.order_by("-created_at", "-id")
    return found.filter(estado=estado) if estado else found
