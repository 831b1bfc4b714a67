"""The professional's own profile: creation from registration, the local copy of the person,
and every change that can make them (un)findable."""

from __future__ import annotations

from contextlib import contextmanager
from uuid import UUID

from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.professionals.contracts import NotAProfessional, ProfessionalApproved, ProfessionalCreated
from conectar.professionals.models import Professional
from conectar.professionals.services import search_index

DB = alias_for("professionals")


def professional_ensure(*, usuario_id: UUID, nombre: str = "", apellido: str = "") -> Professional:
    """The professional profile of account `usuario_id` (whose role is PROFESIONAL), started now if
    it does not exist yet: by the registration event, or by the professional's first request when
    that event is still on its way. Either way it is created once and announced once; names given
    here fill a profile started without them."""
    professional = Professional.objects.filter(usuario_id=usuario_id).first()
    if professional is None:
        with transaction.atomic(using=DB):
            professional, created = Professional.objects.get_or_create(
                usuario_id=usuario_id, defaults={"nombre": nombre, "apellido": apellido}
            )
            if created:
                publish(ProfessionalCreated(professional_id=professional.pk, usuario_id=usuario_id))
                return professional
    if (nombre or apellido) and not (professional.nombre or professional.apellido):
        person_copy_update(usuario_id=usuario_id, nombre=nombre, apellido=apellido)
        professional.refresh_from_db(using=DB)
    return professional


@contextmanager
def changing(usuario_id: UUID):
    """Lock the caller's professional for a change; afterwards keep the search index in step
    and announce when the change made them findable. Yields the locked professional."""
    with transaction.atomic(using=DB):
        professional = Professional.objects.select_for_update().filter(usuario_id=usuario_id).first()
        if professional is None:
            raise NotAProfessional
        was_matchable = professional.matchable
        yield professional
        professional.save()
        search_index.reindex(professional)
        if professional.matchable and not was_matchable:
            publish(ProfessionalApproved(professional_id=professional.pk, usuario_id=professional.usuario_id))


def person_copy_update(*, usuario_id: UUID, **fields) -> None:
    """Names, avatar and account state copied from other contexts' events (no-op for clients)."""
    if not Professional.objects.filter(usuario_id=usuario_id).exists():
        return
    with changing(usuario_id) as professional:
        for field, value in fields.items():
            setattr(professional, field, value)
