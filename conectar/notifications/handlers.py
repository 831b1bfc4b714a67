"""Reactions to other contexts' events: each decides who is told what (template and its data) and
hands that to `services.dispatch`. Subscribed in apps.ready(). Every value in a message's data is
already formatted for reading (money, dates, names) and JSON-safe: it is stored with the
notification and shown in the history."""

from __future__ import annotations

from django.conf import settings

from conectar.auth_ctx.contracts import PasswordChanged, PasswordResetRequested, Role, UserRegistered
from conectar.marketplace.contracts import (
    Actor,
    ChatBanned,
    DisputeOpened,
    DisputeResolved,
    MessageKind,
    MessageSent,
    OfferAccepted,
    OfferCreated,
    OfferExpired,
    OfferRejected,
    OfferWithdrawn,
    ReviewPublished,
    WorkCancelled,
    WorkCompleted,
    WorkDelivered,
    WorkPaid,
)
from conectar.notifications.contracts import Channel
from conectar.notifications.services import dispatch
from conectar.notifications.services.dispatch import Intent
from conectar.notifications.services.formatting import (
    Paths,
    display_names,
    estrellas,
    fecha,
    pesos,
    porcentaje,
)
from conectar.payments.contracts import (
    ChargebackOpened,
    PaymentConfirmed,
    PaymentFailed,
    PaymentFailureReason,
    PayoutCompleted,
    PayoutFailed,
    Refunded,
)
from conectar.professionals.contracts import KYCApproved, KYCRejected, LevelChanged, Nivel
from conectar.shared.events import DomainEvent

_NIVELES = list(Nivel)
# What each reason payments gives for a failed payment means, for the payer.
_PAYMENT_DETAIL = {
    PaymentFailureReason.INSUFFICIENT_FUNDS: "fondos insuficientes",
    PaymentFailureReason.BAD_SECURITY_CODE: "código de seguridad incorrecto",
    PaymentFailureReason.BAD_EXPIRY_DATE: "fecha de vencimiento incorrecta",
    PaymentFailureReason.BAD_CARD_DATA: "algún dato de la tarjeta es incorrecto",
    PaymentFailureReason.NEEDS_AUTHORIZATION: "tu banco pide que autorices el pago",
    PaymentFailureReason.CARD_DISABLED: "la tarjeta no está habilitada",
    PaymentFailureReason.HIGH_RISK: "el pago fue rechazado por seguridad",
}


def _notify(event: DomainEvent, *intents: Intent) -> None:
    dispatch.notify_users(event_id=event.event_id, event_type=event.type_name(), intents=intents)


def _alert_staff(event: DomainEvent, template: str, data: dict) -> None:
    admin_link = f"{getattr(settings, 'PUBLIC_API_URL', '').rstrip('/')}/admin/"
    for address in settings.NOTIFY_STAFF_EMAILS:
        dispatch.notify_address(
            event_id=event.event_id,
            event_type=event.type_name(),
            channel=Channel.EMAIL,
            to=address,
            template=template,
            data={**data, "link": admin_link},
        )


# --- accounts -------------------------------------------------------------------------------------


def on_user_registered(event: UserRegistered) -> None:
    profesional = event.rol == Role.PROFESIONAL
    data = {
        "nombre": event.nombre,
        "rol": event.rol.value,
        "url": Paths.VERIFICACION if profesional else Paths.BUSCAR,
    }
    _notify(event, Intent(event.user_id, "cuenta_creada", data))


def on_password_reset_requested(event: PasswordResetRequested) -> None:
    data = {"url": event.reset_url, "vence": fecha(event.expires_at)}
    _notify(event, Intent(event.user_id, "password_reset", data))


def on_password_changed(event: PasswordChanged) -> None:
    data = {"via_reset": event.via_reset, "url": Paths.OLVIDE_CONTRASENA}
    _notify(event, Intent(event.user_id, "password_cambiada", data))


# --- professionals --------------------------------------------------------------------------------


def on_kyc_approved(event: KYCApproved) -> None:
    _notify(event, Intent(event.usuario_id, "kyc_aprobado", {"url": Paths.PERFIL_PROFESIONAL}))


def on_kyc_rejected(event: KYCRejected) -> None:
    _notify(event, Intent(event.usuario_id, "kyc_rechazado", {"motivo": event.motivo, "url": Paths.VERIFICACION}))


def on_level_changed(event: LevelChanged) -> None:
    data = {
        "anterior": event.previous.value.capitalize(),
        "actual": event.current.value.capitalize(),
        "subio": _NIVELES.index(event.current) > _NIVELES.index(event.previous),
        "comision": porcentaje(event.tasa_comision),
        "url": Paths.PERFIL_PROFESIONAL,
    }
    _notify(event, Intent(event.usuario_id, "nivel_cambiado", data))


# --- chat -----------------------------------------------------------------------------------------


def on_message_sent(event: MessageSent) -> None:
    """A push to a recipient who was not connected; oferta and system messages have their own."""
    if event.recipient_online or event.kind != MessageKind.TEXTO:
        return
    remitente = display_names([event.sender_id]).get(event.sender_id) or "Alguien"
    data = {
        "remitente": remitente,
        "vista_previa": event.preview,
        "chat_id": str(event.chat_id),
        "url": Paths.chat(event.chat_id),
    }
    _notify(event, Intent(event.recipient_id, "mensaje_nuevo", data))


def on_chat_banned(event: ChatBanned) -> None:
    _notify(event, Intent(event.user_id, "chat_bloqueado", {"infracciones": event.infractions, "url": Paths.SOPORTE}))


# --- ofertas --------------------------------------------------------------------------------------


def _offer_data(event, names: dict) -> dict:
    return {
        "cliente": names.get(event.cliente_id) or "El cliente",
        "profesional": names.get(event.profesional_id) or "El profesional",
        "descripcion": event.descripcion,
        "precio": pesos(event.precio_final),
        "oferta_id": str(event.oferta_id),
        "chat_id": str(event.chat_id),
        "url": Paths.chat(event.chat_id),
    }


def on_offer_created(event: OfferCreated) -> None:
    data = _offer_data(event, display_names([event.cliente_id, event.profesional_id]))
    data.update(vence=fecha(event.expira_en), url=Paths.oferta_cliente(event.oferta_id))
    _notify(event, Intent(event.cliente_id, "oferta_nueva", data))


def on_offer_accepted(event: OfferAccepted) -> None:
    data = _offer_data(event, display_names([event.cliente_id, event.profesional_id]))
    data.update(trabajo_id=str(event.trabajo_id), url=Paths.trabajo(event.trabajo_id, cliente=False))
    _notify(event, Intent(event.profesional_id, "oferta_aceptada", data))


def on_offer_rejected(event: OfferRejected) -> None:
    data = _offer_data(event, display_names([event.cliente_id, event.profesional_id]))
    _notify(event, Intent(event.profesional_id, "oferta_rechazada", data))


def on_offer_expired(event: OfferExpired) -> None:
    data = _offer_data(event, display_names([event.cliente_id, event.profesional_id]))
    _notify(
        event,
        Intent(event.profesional_id, "oferta_expirada_profesional", data),
        Intent(event.cliente_id, "oferta_expirada_cliente", data),
    )


def on_offer_withdrawn(event: OfferWithdrawn) -> None:
    data = _offer_data(event, display_names([event.cliente_id, event.profesional_id]))
    _notify(event, Intent(event.cliente_id, "oferta_retirada", data))


# --- trabajos -------------------------------------------------------------------------------------


def _work_data(event, names: dict, *, cliente: bool) -> dict:
    return {
        "cliente": names.get(event.cliente_id) or "El cliente",
        "profesional": names.get(event.profesional_id) or "El profesional",
        "es_cliente": cliente,
        "trabajo_id": str(event.trabajo_id),
        "url": Paths.trabajo(event.trabajo_id, cliente=cliente),
    }


def _both(event, template_for: dict[bool, str], extra: dict, *, skip_actor: Actor | None = None) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    intents = []
    for cliente, user_id, actor in (
        (True, event.cliente_id, Actor.CLIENTE),
        (False, event.profesional_id, Actor.PROFESIONAL),
    ):
        if actor == skip_actor:
            continue  # the person who did it knows
        intents.append(Intent(user_id, template_for[cliente], {**_work_data(event, names, cliente=cliente), **extra}))
    _notify(event, *intents)


def on_work_paid(event: WorkPaid) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    data = {**_work_data(event, names, cliente=False), "monto": pesos(event.precio_final)}
    _notify(event, Intent(event.profesional_id, "pago_confirmado_profesional", data))


def on_work_delivered(event: WorkDelivered) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    data = {**_work_data(event, names, cliente=True), "liberacion": fecha(event.auto_release_at)}
    _notify(event, Intent(event.cliente_id, "trabajo_entregado", data))


def on_work_completed(event: WorkCompleted) -> None:
    extra = {
        "precio": pesos(event.precio_final),
        "comision": pesos(event.comision_plataforma),
        "monto_liberado": pesos(event.monto_liberado),
    }
    _both(event, {True: "trabajo_finalizado_cliente", False: "trabajo_finalizado_profesional"}, extra)


_CANCELLED_BY = {
    Actor.CLIENTE: "el cliente",
    Actor.PROFESIONAL: "el profesional",
    Actor.STAFF: "nuestro equipo",
    Actor.SISTEMA: "vencimiento del plazo",
}


def on_work_cancelled(event: WorkCancelled) -> None:
    extra = {
        "cancelado_por": _CANCELLED_BY.get(event.cancelled_by, "el sistema"),
        "motivo": event.motivo,
        "reembolso": event.refund,
        "precio": pesos(event.precio_final),
    }
    _both(event, {True: "trabajo_cancelado", False: "trabajo_cancelado"}, extra, skip_actor=event.cancelled_by)


_OPENED_BY = {
    Actor.CLIENTE: "El cliente",
    Actor.PROFESIONAL: "El profesional",
    Actor.STAFF: "Nuestro equipo",
    Actor.SISTEMA: "MercadoPago",  # a chargeback or a mediation
}


def on_dispute_opened(event: DisputeOpened) -> None:
    extra = {"abierta_por": _OPENED_BY.get(event.opened_by, "Nuestro equipo"), "motivo": event.motivo}
    _both(event, {True: "disputa_abierta", False: "disputa_abierta"}, extra, skip_actor=event.opened_by)


def on_dispute_resolved(event: DisputeResolved) -> None:
    extra = {
        "porcentaje": event.porcentaje_reembolso,
        "monto_reembolsado": pesos(event.monto_reembolsado),
        "monto_liberado": pesos(event.monto_liberado),
    }
    _both(event, {True: "disputa_resuelta", False: "disputa_resuelta"}, extra)


def on_review_published(event: ReviewPublished) -> None:
    to_professional = event.autor_rol == Actor.CLIENTE
    data = {
        "autor": event.autor_nombre or "Alguien",
        "rating": event.rating,
        "estrellas": estrellas(event.rating),
        "texto": event.texto,
        "trabajo_id": str(event.trabajo_id),
        "url": Paths.RESENAS_PROFESIONAL if to_professional else Paths.trabajo(event.trabajo_id, cliente=True),
    }
    _notify(event, Intent(event.destinatario_id, "resena_recibida", data))


# --- payments -------------------------------------------------------------------------------------


def on_payment_confirmed(event: PaymentConfirmed) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    data = {**_work_data(event, names, cliente=True), "monto": pesos(event.amount)}
    _notify(event, Intent(event.cliente_id, "pago_confirmado_cliente", data))


def on_payment_failed(event: PaymentFailed) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    data = {**_work_data(event, names, cliente=True), "detalle": _PAYMENT_DETAIL.get(event.reason, "")}
    _notify(event, Intent(event.cliente_id, "pago_fallido", data))


def on_refunded(event: Refunded) -> None:
    names = display_names([event.cliente_id, event.profesional_id])
    data = {**_work_data(event, names, cliente=True), "monto": pesos(event.amount)}
    _notify(event, Intent(event.cliente_id, "reembolso", data))


def on_payout_completed(event: PayoutCompleted) -> None:
    data = {
        "monto": pesos(event.amount),
        "referencia": event.reference,
        "trabajo_id": str(event.trabajo_id),
        "url": Paths.PAGOS_PROFESIONAL,
    }
    _notify(event, Intent(event.profesional_id, "pago_enviado", data))


def on_payout_failed(event: PayoutFailed) -> None:
    data = {"monto": pesos(event.amount), "trabajo_id": str(event.trabajo_id), "url": Paths.PAGOS_PROFESIONAL}
    _notify(event, Intent(event.profesional_id, "pago_demorado", data))
    _alert_staff(
        event,
        "alerta_pago_fallido",
        {
            "monto": pesos(event.amount),
            "motivo": event.reason,
            "trabajo_id": str(event.trabajo_id),
            "payout_id": str(event.payout_id),
            "profesional_id": str(event.profesional_id),
        },
    )


def on_chargeback_opened(event: ChargebackOpened) -> None:
    _alert_staff(
        event,
        "alerta_contracargo",
        {
            "estado": event.status,
            "trabajo_id": str(event.trabajo_id),
            "payment_id": str(event.payment_id),
            "mercadopago_payment_id": event.mercadopago_payment_id,
            "cliente_id": str(event.cliente_id),
            "profesional_id": str(event.profesional_id),
        },
    )
