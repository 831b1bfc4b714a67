"""Trabajos move only through `apply()`, which looks each change up in `marketplace.workflow.TABLE`.

`apply()` locks the trabajo, checks who is asking (owner or staff; others get 404), finds the row
for (current state, action) — absent or not for this actor → 400 naming the current state (403 when
the actor may never do that action) — runs the row's effect, records the history, publishes the
effect's event and posts the `sistema` message, all in one transaction. Actions arrive from the
routes (people), from payments' events (SISTEMA) and from the beat sweeps (SISTEMA)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conectar.marketplace.contracts import (
    Actor,
    DisputeOpened,
    DisputeResolved,
    EstadoEscrow,
    WorkCancelled,
    WorkCompleted,
    WorkDelivered,
    WorkPaid,
)
from conectar.marketplace.models import Trabajo, TrabajoHistory
from conectar.marketplace.services import chat as chat_services
from conectar.marketplace.workflow import TABLE, Action, Effect, Transition, transition_for
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from conectar.shared.money import CENT, format_money

DB = alias_for("marketplace")
MOTIVO_MAX_LENGTH = 2000
# A dispute lost by the professional (gamification's -200) is one where most of the money went back.
LOST_DISPUTE_ABOVE_PERCENT = 50


@dataclass(frozen=True)
class Change:
    """What an effect needs besides the trabajo: who acts, when, and the action's own inputs."""

    action: Action
    actor: Actor
    actor_id: UUID | None
    now: datetime
    motivo: str = ""
    porcentaje_reembolso: int | None = None
    mercadopago_payment_id: str = ""


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _pesos(amount: Decimal) -> str:
    return f"$ {format_money(amount)}"


def release_split(precio: Decimal, tasa: Decimal) -> tuple[Decimal, Decimal]:
    """(commission, released to the professional) of a released price."""
    comision = _cents(precio * tasa)
    return comision, precio - comision


def dispute_split(precio: Decimal, tasa: Decimal, porcentaje: int) -> tuple[Decimal, Decimal, Decimal]:
    """(refunded, commission, released): X % back to the client, the rest released with the
    commission charged on the released part only. The three add up to the price exactly."""
    reembolsado = _cents(precio * Decimal(porcentaje) / 100)
    comision, liberado = release_split(precio - reembolsado, tasa)
    return reembolsado, comision, liberado


# --- effects: one function per workflow.Effect -------------------------------------------------------


def _parties(trabajo: Trabajo) -> dict:
    return {"trabajo_id": trabajo.pk, "cliente_id": trabajo.cliente_id, "profesional_id": trabajo.profesional_id}


def _close(trabajo: Trabajo, change: Change, *, reviewable: bool) -> None:
    trabajo.cerrado_at = change.now
    if reviewable:
        trabajo.resenas_hasta = change.now + timedelta(days=settings.MARKETPLACE["REVIEW_WINDOW_DAYS"])


def _mark_paid(trabajo: Trabajo, change: Change) -> str:
    trabajo.pagado_at = change.now
    trabajo.mercadopago_payment_id = change.mercadopago_payment_id or trabajo.mercadopago_payment_id
    publish(WorkPaid(**_parties(trabajo), precio_final=trabajo.precio_final))
    return f"Pago confirmado: {_pesos(trabajo.precio_final)} quedan en garantía hasta que el trabajo termine."


def _cancel_unpaid(trabajo: Trabajo, change: Change) -> str:
    _close(trabajo, change, reviewable=False)
    trabajo.cancelado_por = change.actor
    trabajo.motivo_cancelacion = change.motivo or (
        "El pago no llegó a tiempo." if change.action == Action.VENCER_PAGO else ""
    )
    publish(
        WorkCancelled(
            **_parties(trabajo),
            cancelled_by=change.actor,
            professional_at_fault=False,
            refund=False,
            precio_final=trabajo.precio_final,
            motivo=trabajo.motivo_cancelacion,
        )
    )
    if change.action == Action.VENCER_PAGO:
        return "El trabajo se canceló porque el pago no se completó a tiempo."
    return "El trabajo se canceló antes del pago."


def _deliver(trabajo: Trabajo, change: Change) -> str:
    trabajo.entregado_at = change.now
    trabajo.liberacion_automatica_en = change.now + timedelta(days=settings.MARKETPLACE["TRABAJO_AUTO_RELEASE_DAYS"])
    publish(WorkDelivered(**_parties(trabajo), auto_release_at=trabajo.liberacion_automatica_en))
    return (
        "El profesional marcó el trabajo como entregado. Si está todo bien, finalizalo; "
        f"si no decís nada, el pago se libera el {timezone.localtime(trabajo.liberacion_automatica_en):%d/%m}."
    )


def _release(trabajo: Trabajo, change: Change) -> str:
    trabajo.comision_plataforma, trabajo.monto_liberado = release_split(trabajo.precio_final, trabajo.tasa_comision)
    _close(trabajo, change, reviewable=True)
    publish(
        WorkCompleted(
            **_parties(trabajo),
            precio_final=trabajo.precio_final,
            tasa_comision=trabajo.tasa_comision,
            comision_plataforma=trabajo.comision_plataforma,
            monto_liberado=trabajo.monto_liberado,
        )
    )
    return (
        f"Trabajo finalizado: se liberan {_pesos(trabajo.monto_liberado)} al profesional. ¡Ya pueden dejar su reseña!"
    )


def _refund_all(trabajo: Trabajo, change: Change, *, at_fault: bool, motivo: str) -> None:
    trabajo.comision_plataforma = Decimal("0.00")
    trabajo.monto_liberado = Decimal("0.00")
    trabajo.monto_reembolsado = trabajo.precio_final
    _close(trabajo, change, reviewable=False)
    trabajo.cancelado_por = change.actor
    trabajo.motivo_cancelacion = motivo
    publish(
        WorkCancelled(
            **_parties(trabajo),
            cancelled_by=change.actor,
            professional_at_fault=at_fault,
            refund=True,
            precio_final=trabajo.precio_final,
            motivo=motivo,
        )
    )


def _cancel_with_refund(trabajo: Trabajo, change: Change) -> str:
    _refund_all(trabajo, change, at_fault=change.actor == Actor.PROFESIONAL, motivo=change.motivo)
    who = {Actor.CLIENTE: "el cliente", Actor.PROFESIONAL: "el profesional", Actor.STAFF: "soporte"}[change.actor]
    return f"El trabajo fue cancelado por {who}. Se reintegran {_pesos(trabajo.precio_final)} al cliente."


def _refund_late_payment(trabajo: Trabajo, change: Change) -> str:
    trabajo.mercadopago_payment_id = change.mercadopago_payment_id or trabajo.mercadopago_payment_id
    _refund_all(trabajo, change, at_fault=False, motivo="Pago recibido después de la cancelación.")
    return "Llegó un pago para un trabajo ya cancelado: se reintegra completo al cliente."


def _record_external_refund(trabajo: Trabajo, change: Change) -> str:
    _refund_all(trabajo, change, at_fault=False, motivo="Reintegro hecho en MercadoPago.")
    return "El pago fue reintegrado al cliente desde MercadoPago; el trabajo queda cancelado."


def _open_dispute(trabajo: Trabajo, change: Change) -> str:
    trabajo.disputa_motivo = change.motivo
    trabajo.disputa_abierta_por = change.actor
    trabajo.disputa_abierta_at = change.now
    if change.action == Action.CONTRACARGO:
        trabajo.contracargo = True
    publish(DisputeOpened(**_parties(trabajo), opened_by=change.actor, motivo=change.motivo))
    if change.action == Action.CONTRACARGO:
        return "El pago tiene un contracargo o una mediación en MercadoPago: el pago queda retenido y soporte revisa."
    return "El cliente abrió una disputa: el pago queda retenido hasta que soporte la resuelva."


def _resolve_dispute(trabajo: Trabajo, change: Change) -> str:
    porcentaje = change.porcentaje_reembolso
    trabajo.porcentaje_reembolso = porcentaje
    trabajo.monto_reembolsado, trabajo.comision_plataforma, trabajo.monto_liberado = dispute_split(
        trabajo.precio_final, trabajo.tasa_comision, porcentaje
    )
    trabajo.resolucion_nota = change.motivo
    trabajo.resuelto_por = change.actor_id
    _close(trabajo, change, reviewable=True)
    publish(
        DisputeResolved(
            **_parties(trabajo),
            porcentaje_reembolso=porcentaje,
            professional_lost=porcentaje > LOST_DISPUTE_ABOVE_PERCENT,
            precio_final=trabajo.precio_final,
            tasa_comision=trabajo.tasa_comision,
            monto_reembolsado=trabajo.monto_reembolsado,
            comision_plataforma=trabajo.comision_plataforma,
            monto_liberado=trabajo.monto_liberado,
        )
    )
    return (
        f"Soporte resolvió la disputa: {porcentaje} % ({_pesos(trabajo.monto_reembolsado)}) vuelve al cliente y "
        f"{_pesos(trabajo.monto_liberado)} se liberan al profesional."
    )


_EFFECTS: dict[Effect, Callable[[Trabajo, Change], str]] = {
    Effect.MARK_PAID: _mark_paid,
    Effect.CANCEL_UNPAID: _cancel_unpaid,
    Effect.DELIVER: _deliver,
    Effect.RELEASE: _release,
    Effect.CANCEL_WITH_REFUND: _cancel_with_refund,
    Effect.OPEN_DISPUTE: _open_dispute,
    Effect.RESOLVE_DISPUTE: _resolve_dispute,
    Effect.RECORD_EXTERNAL_REFUND: _record_external_refund,
    Effect.REFUND_LATE_PAYMENT: _refund_late_payment,
}
if set(_EFFECTS) != set(Effect) or any(row.effect not in _EFFECTS for row in TABLE):
    raise AssertionError("every workflow effect needs exactly one function here")


# --- applying a transition -------------------------------------------------------------------------------


def _owner_filter(actor: Actor, actor_id: UUID | None) -> dict:
    if actor == Actor.CLIENTE:
        return {"cliente_id": actor_id}
    if actor == Actor.PROFESIONAL:
        return {"profesional_id": actor_id}
    return {}  # staff and the system act on any trabajo


def _allowed(trabajo: Trabajo, action: Action, actor: Actor) -> Transition:
    row = transition_for(EstadoEscrow(trabajo.estado), action)
    if row is not None and actor in row.actors:
        return row
    if not any(actor in r.actors for r in TABLE if r.action == action):
        raise PermissionDenied("No podés hacer eso con este trabajo.")
    raise Conflict(
        f"No se puede {action.value.replace('_', ' ')} un trabajo en estado {trabajo.estado}.",
        code="invalid_transition",
    )


def _validate(action: Action, motivo: str, porcentaje: int | None) -> None:
    if len(motivo) > MOTIVO_MAX_LENGTH:
        raise InvalidInput(fields={"motivo": [f"Como máximo {MOTIVO_MAX_LENGTH} caracteres."]})
    if action == Action.ABRIR_DISPUTA and len(motivo.strip()) < 10:  # noqa: PLR2004 - same floor as descripciones
        raise InvalidInput(fields={"motivo": ["Contá qué pasó, con al menos 10 caracteres."]})
    if action == Action.RESOLVER and (porcentaje is None or not 0 <= porcentaje <= 100):  # noqa: PLR2004
        raise InvalidInput(fields={"porcentaje_reembolso": ["Un porcentaje entre 0 y 100."]})


def apply(
    *,
    trabajo_id: UUID,
    action: Action,
    actor: Actor,
    actor_id: UUID | None = None,
    motivo: str = "",
    porcentaje_reembolso: int | None = None,
    mercadopago_payment_id: str = "",
) -> Trabajo:
    motivo = (motivo or "").strip()
    _validate(action, motivo, porcentaje_reembolso)
    with transaction.atomic(using=DB):
        trabajo = Trabajo.objects.select_for_update().filter(pk=trabajo_id, **_owner_filter(actor, actor_id)).first()
        if trabajo is None:
            raise NotFound("No encontramos ese trabajo.")
        row = _allowed(trabajo, action, actor)
        change = Change(
            action=action,
            actor=actor,
            actor_id=actor_id,
            now=timezone.now(),
            motivo=motivo,
            porcentaje_reembolso=porcentaje_reembolso,
            mercadopago_payment_id=mercadopago_payment_id,
        )
        previous = trabajo.estado
        trabajo.estado = row.target
        trabajo.updated_at = change.now
        message = _EFFECTS[row.effect](trabajo, change)
        trabajo.save()
        TrabajoHistory.objects.create(
            trabajo=trabajo,
            accion=action,
            desde=previous,
            hacia=row.target,
            actor=actor,
            actor_id=actor_id,
            nota=motivo,
            created_at=change.now,
        )
        chat_services.system_message_post(chat_id=trabajo.chat_id, text=message)
    return trabajo


def apply_if_allowed(*, trabajo_id: UUID, action: Action, **kwargs) -> Trabajo | None:
    """For events and sweeps (actor SISTEMA): apply when the table allows it from the trabajo's
    current state, otherwise do nothing — a redelivered or out-of-order event is not an error."""
    trabajo = Trabajo.objects.filter(pk=trabajo_id).only("estado").first()
    if trabajo is None:
        return None
    row = transition_for(EstadoEscrow(trabajo.estado), action)
    if row is None or Actor.SISTEMA not in row.actors:
        return None
    try:
        return apply(trabajo_id=trabajo_id, action=action, actor=Actor.SISTEMA, **kwargs)
    except Conflict:  # the state moved between the look and the lock: someone else acted first
        return None


def payment_failed_notice(*, trabajo_id: UUID) -> None:
    """A rejected payment attempt leaves the trabajo payable; both sides read why in the chat."""
    trabajo = Trabajo.objects.filter(pk=trabajo_id, estado=EstadoEscrow.PENDIENTE_PAGO).first()
    if trabajo is not None:
        chat_services.system_message_post(
            chat_id=trabajo.chat_id,
            text="El pago no se pudo completar. El cliente puede intentarlo de nuevo desde el trabajo.",
        )


def chargeback_flag(*, trabajo_id: UUID) -> None:
    """A chargeback on a trabajo whose money already left escrow (released, refunded): nothing to
    freeze any more, but staff must see it on the trabajo."""
    with transaction.atomic(using=DB):
        trabajo = Trabajo.objects.select_for_update().filter(pk=trabajo_id).first()
        if trabajo is None or trabajo.contracargo:
            return
        trabajo.contracargo = True
        trabajo.updated_at = timezone.now()
        trabajo.save(update_fields=["contracargo", "updated_at"])
        TrabajoHistory.objects.create(
            trabajo=trabajo,
            accion=Action.CONTRACARGO,
            desde=trabajo.estado,
            hacia=trabajo.estado,
            actor=Actor.SISTEMA,
            nota="Contracargo o mediación después de cerrar el trabajo.",
        )


# --- time ------------------------------------------------------------------------------------------------


def _sweep(queryset, action: Action, limit: int) -> int:
    moved = 0
    for trabajo_id in queryset.values_list("pk", flat=True)[:limit]:
        if apply_if_allowed(trabajo_id=trabajo_id, action=action) is not None:
            moved += 1
    return moved


def unpaid_expire_due(*, limit: int = 500) -> int:
    """Beat: PENDIENTE_PAGO past its deadline → CANCELADO."""
    due = Trabajo.objects.filter(estado=EstadoEscrow.PENDIENTE_PAGO, pago_vence_en__lte=timezone.now())
    return _sweep(due.order_by("pago_vence_en"), Action.VENCER_PAGO, limit)


def delivered_release_due(*, limit: int = 500) -> int:
    """Beat: ENTREGADO with no dispute for TRABAJO_AUTO_RELEASE_DAYS → LIBERADO."""
    due = Trabajo.objects.filter(estado=EstadoEscrow.ENTREGADO, liberacion_automatica_en__lte=timezone.now())
    return _sweep(due.order_by("liberacion_automatica_en"), Action.LIBERAR_AUTOMATICO, limit)
