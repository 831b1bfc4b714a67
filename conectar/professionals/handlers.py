"""Reactions to other contexts' events (thin: each calls a service)."""

from conectar.auth_ctx.contracts import Role, UserBanned, UserRegistered, UserUnbanned
from conectar.marketplace.contracts import (
    Actor,
    DisputeResolved,
    ReviewPublished,
    ReviewReplied,
    WorkCancelled,
    WorkCompleted,
)
from conectar.professionals import gamification as rules
from conectar.professionals.services import gamification, profiles
from conectar.users.contracts import AvatarUploaded, UserUpdated


def on_user_registered(event: UserRegistered) -> None:
    if event.rol == Role.PROFESIONAL:
        profiles.professional_ensure(usuario_id=event.user_id, nombre=event.nombre, apellido=event.apellido)


def on_user_updated(event: UserUpdated) -> None:
    # Only the names this change made: a phone saved before the registration event reached the
    # users context carries that profile's still-empty names, which must not erase ours.
    names = {field: getattr(event, field) for field in ("nombre", "apellido") if field in event.changed}
    if names:
        profiles.person_copy_update(usuario_id=event.user_id, **names)


def on_avatar_uploaded(event: AvatarUploaded) -> None:
    profiles.person_copy_update(usuario_id=event.user_id, avatar_url=event.avatar_url)


def on_user_banned(event: UserBanned) -> None:
    profiles.person_copy_update(usuario_id=event.user_id, account_active=False)


def on_user_unbanned(event: UserUnbanned) -> None:
    profiles.person_copy_update(usuario_id=event.user_id, account_active=True)


def on_work_completed(event: WorkCompleted) -> None:
    gamification.points_award(
        usuario_id=event.profesional_id,
        delta=rules.POINTS_TRABAJO_FINALIZADO,
        reason=rules.REASON_TRABAJO_FINALIZADO,
        source_event_id=event.event_id,
    )


def on_work_cancelled(event: WorkCancelled) -> None:
    if event.professional_at_fault:
        gamification.points_award(
            usuario_id=event.profesional_id,
            delta=rules.POINTS_CANCELADO_POR_PROFESIONAL,
            reason="cancelado_por_profesional",
            source_event_id=event.event_id,
        )


def on_dispute_resolved(event: DisputeResolved) -> None:
    if event.professional_lost:
        gamification.points_award(
            usuario_id=event.profesional_id,
            delta=rules.POINTS_DISPUTA_PERDIDA,
            reason="disputa_perdida",
            source_event_id=event.event_id,
        )


def on_review_published(event: ReviewPublished) -> None:
    if event.autor_rol != Actor.CLIENTE:
        return  # the professional's review of the client scores nothing here
    gamification.review_record(
        usuario_id=event.profesional_id,
        resena_id=event.resena_id,
        trabajo_id=event.trabajo_id,
        rating=event.rating,
        texto=event.texto,
        autor_nombre=event.autor_nombre,
        created_at=event.created_at,
        source_event_id=event.event_id,
    )


def on_review_replied(event: ReviewReplied) -> None:
    gamification.review_reply_record(resena_id=event.resena_id, texto=event.texto)
