"""Reseñas (DOMAIN.md § Reviews): after LIBERADO or RESUELTO each side reviews the other once,
within the review window. Double-blind: a review stays hidden until the other side has reviewed too
or the window closes (beat publishes those); publishing emits `ReviewPublished`, which the
professionals context turns into rating and points. The professional may answer a published review
about them once."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from conectar.marketplace.contracts import Actor, ReviewCreated, ReviewPublished, ReviewReplied
from conectar.marketplace.models import RESENA_MAX_LENGTH, Resena, Trabajo
from conectar.marketplace.workflow import REVIEWABLE
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import Conflict, InvalidInput, NotFound
from conectar.users import facade as users

DB = alias_for("marketplace")


def _clean(rating: int, texto: str | None) -> str:
    errors = {}
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:  # noqa: PLR2004
        errors["rating"] = ["La calificación va de 1 a 5."]
    texto = (texto or "").strip()
    if len(texto) > RESENA_MAX_LENGTH:
        errors["texto_resena"] = [f"Como máximo {RESENA_MAX_LENGTH} caracteres."]
    if errors:
        raise InvalidInput(fields=errors)
    return texto


def _author_names(user_ids) -> dict[UUID, str]:
    """How each author signs a published review, read from users before any lock is taken."""
    profiles = users.get_profiles(user_ids=list(set(user_ids)))
    names = {}
    for user_id in user_ids:
        profile = profiles.get(user_id)
        # First name and initial: enough to trust a review, not enough to find the person.
        initial = f" {profile.apellido[:1]}." if profile and profile.apellido else ""
        names[user_id] = (f"{profile.nombre}{initial}".strip() if profile else "") or "Usuario"
    return names


def _publish(resena: Resena, now, names: dict[UUID, str]) -> None:
    resena.publicada_at = now
    resena.save(update_fields=["publicada_at"])
    publish(
        ReviewPublished(
            resena_id=resena.pk,
            trabajo_id=resena.trabajo_id,
            autor_id=resena.autor_id,
            autor_rol=Actor(resena.autor_rol),
            destinatario_id=resena.destinatario_id,
            profesional_id=resena.profesional_id,
            rating=resena.rating,
            texto=resena.texto,
            autor_nombre=names.get(resena.autor_id, "Usuario"),
            created_at=resena.created_at,
        )
    )


def resena_create(*, trabajo_id: UUID, autor_id: UUID, rating: int, texto: str | None) -> Resena:
    texto = _clean(rating, texto)
    names = _author_names(_trabajo_of(trabajo_id, autor_id).participants())
    with transaction.atomic(using=DB):
        # The trabajo row lock orders the two sides' reviews: the second one sees the first.
        trabajo = _trabajo_of(trabajo_id, autor_id, locked=True)
        now = timezone.now()
        if trabajo.estado not in REVIEWABLE:
            raise Conflict(
                f"Solo se puede reseñar un trabajo LIBERADO o RESUELTO; este está {trabajo.estado}.",
                code="not_reviewable",
            )
        if trabajo.resenas_hasta is None or now > trabajo.resenas_hasta:
            raise Conflict("El plazo para dejar la reseña ya cerró.", code="review_window_closed")
        autor_rol = Actor.CLIENTE if autor_id == trabajo.cliente_id else Actor.PROFESIONAL
        if Resena.objects.filter(trabajo=trabajo, autor_rol=autor_rol).exists():
            raise Conflict("Ya dejaste tu reseña para este trabajo.", code="already_reviewed")
        resena = Resena.objects.create(
            trabajo=trabajo,
            autor_id=autor_id,
            autor_rol=autor_rol,
            destinatario_id=trabajo.profesional_id if autor_rol == Actor.CLIENTE else trabajo.cliente_id,
            profesional_id=trabajo.profesional_id,
            rating=rating,
            texto=texto,
            created_at=now,
        )
        publish(
            ReviewCreated(
                resena_id=resena.pk,
                trabajo_id=trabajo.pk,
                autor_id=autor_id,
                autor_rol=autor_rol,
                destinatario_id=resena.destinatario_id,
                rating=rating,
            )
        )
        hidden = list(Resena.objects.filter(trabajo=trabajo, publicada_at__isnull=True).order_by("created_at"))
        if len(hidden) == 2:  # noqa: PLR2004 - both sides have spoken: both become public together
            for each in hidden:
                _publish(each, now, names)
            resena.publicada_at = now
    return resena


def _trabajo_of(trabajo_id: UUID, user_id: UUID, *, locked: bool = False) -> Trabajo:
    trabajos = Trabajo.objects.select_for_update() if locked else Trabajo.objects
    trabajo = trabajos.filter(pk=trabajo_id).first()
    if trabajo is None or user_id not in trabajo.participants():
        raise NotFound("No encontramos ese trabajo.")
    return trabajo


def resena_reply(*, resena_id: UUID, profesional_id: UUID, texto: str) -> Resena:
    texto = (texto or "").strip()
    if not texto:
        raise InvalidInput(fields={"texto": ["Escribí la respuesta."]})
    if len(texto) > RESENA_MAX_LENGTH:
        raise InvalidInput(fields={"texto": [f"Como máximo {RESENA_MAX_LENGTH} caracteres."]})
    with transaction.atomic(using=DB):
        resena = (
            Resena.objects.select_for_update()
            .filter(pk=resena_id, destinatario_id=profesional_id, autor_rol=Actor.CLIENTE)
            .first()
        )
        # A hidden review is not there yet for the person it is about: same answer as unknown.
        if resena is None or resena.publicada_at is None:
            raise NotFound("No encontramos esa reseña.")
        if resena.respuesta_at is not None:
            raise Conflict("Ya respondiste esta reseña.", code="already_replied")
        resena.respuesta = texto
        resena.respuesta_at = timezone.now()
        resena.save(update_fields=["respuesta", "respuesta_at"])
        publish(ReviewReplied(resena_id=resena.pk, profesional_id=profesional_id, texto=texto))
    return resena


def resenas_publish_due(*, limit: int = 500) -> int:
    """Beat: reviews whose window closed without the other side's review become public."""
    published = 0
    now = timezone.now()
    due = dict(
        Resena.objects.filter(publicada_at__isnull=True, trabajo__resenas_hasta__lte=now).values_list("pk", "autor_id")[
            :limit
        ]
    )
    names = _author_names(list(due.values()))
    for resena_id in due:
        with transaction.atomic(using=DB):
            resena = Resena.objects.select_for_update(skip_locked=True).filter(pk=resena_id, publicada_at=None).first()
            if resena is not None:
                _publish(resena, now, names)
                published += 1
    return published
