"""Ofertas (DOMAIN.md § Oferta): a professional proposes a price in a chat; the client accepts
(a trabajo and its checkout are created) or rejects; the professional may withdraw; time expires it.

Every decision locks the oferta row, so two clicks — or a click and the expiry sweep — decide once;
the loser gets 400 naming the state it found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conectar.auth_ctx import facade as accounts
from conectar.marketplace import shielding
from conectar.marketplace.contracts import (
    OfertaEstado,
    OfferAccepted,
    OfferCreated,
    OfferExpired,
    OfferRejected,
    OfferWithdrawn,
)
from conectar.marketplace.models import (
    DESCRIPCION_MAX_LENGTH,
    DESCRIPCION_MIN_LENGTH,
    MESSAGE_MAX_LENGTH,
    Chat,
    Oferta,
    Trabajo,
)
from conectar.marketplace.selectors.contacts import contacts_unlocked
from conectar.marketplace.services import bans, checkouts
from conectar.marketplace.services import chat as chat_services
from conectar.payments.contracts import PaymentProviderUnavailable
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.professionals import facade as professionals
from conectar.shared.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from conectar.shared.money import format_money, to_money

DB = alias_for("marketplace")


@dataclass(frozen=True)
class Acceptance:
    oferta: Oferta
    trabajo: Trabajo
    payment_preference_id: str
    payment_url: str


def _rules() -> dict:
    return settings.MARKETPLACE


def clean_terms(*, descripcion: str, precio_final: Decimal | str | float, expira_en_horas: int | None) -> tuple:
    """Validate what the professional typed: descripción 10 to 2000 chars, a positive price up to the
    configured ceiling, a life between 1 hour and OFERTA_MAX_HOURS."""
    errors: dict[str, list[str]] = {}
    descripcion = (descripcion or "").strip()
    if len(descripcion) < DESCRIPCION_MIN_LENGTH:
        errors["descripcion"] = [f"Describí el trabajo con al menos {DESCRIPCION_MIN_LENGTH} caracteres."]
    elif len(descripcion) > DESCRIPCION_MAX_LENGTH:
        errors["descripcion"] = [f"La descripción puede tener como máximo {DESCRIPCION_MAX_LENGTH} caracteres."]
    try:
        precio = to_money(precio_final)
    except (ValueError, ArithmeticError):
        precio = None
    if precio is None or precio <= 0:
        errors["precio_final"] = ["El precio tiene que ser mayor que cero."]
    elif precio > Decimal(_rules()["OFERTA_MAX_PRICE"]):
        ceiling = format_money(Decimal(_rules()["OFERTA_MAX_PRICE"]))
        errors["precio_final"] = [f"El precio no puede superar $ {ceiling}."]
    # The range binds what the professional chose; the configured default may be a fraction of an
    # hour (end-to-end tests run with seconds).
    horas = _rules()["OFERTA_DEFAULT_HOURS"] if expira_en_horas is None else expira_en_horas
    if expira_en_horas is not None and not 1 <= horas <= _rules()["OFERTA_MAX_HOURS"]:
        errors["expira_en_horas"] = [f"La oferta puede durar entre 1 y {_rules()['OFERTA_MAX_HOURS']} horas."]
    if errors:
        raise InvalidInput(fields=errors)
    return descripcion, precio, horas


def oferta_create(
    *,
    profesional_id: UUID,
    cliente_id: UUID,
    chat_id: UUID,
    descripcion: str,
    precio_final: Decimal | str | float,
    expira_en_horas: int | None = None,
) -> Oferta:
    """A professional with approved KYC makes an oferta to the client of their chat. The descripción
    is shielded like a chat message (it is shown in the chat)."""
    descripcion, precio, horas = clean_terms(
        descripcion=descripcion, precio_final=precio_final, expira_en_horas=expira_en_horas
    )
    eligibility = professionals.work_eligibility(usuario_id=profesional_id)
    if not eligibility.can_receive_work:
        raise Conflict(eligibility.reason, code="professional_not_eligible")
    with transaction.atomic(using=DB):
        chat = Chat.objects.select_for_update().filter(pk=chat_id, profesional_id=profesional_id).first()
        if chat is None or chat.cliente_id != cliente_id:
            raise NotFound("No encontramos ese chat con ese cliente.")
        bans.ensure_can_send(profesional_id)
        shielded = (
            shielding.Shielded(text=descripcion, masked=False)
            if contacts_unlocked(cliente_id, profesional_id)
            else shielding.shield(descripcion)
        )
        now = timezone.now()
        oferta = Oferta.objects.create(
            chat=chat,
            cliente_id=cliente_id,
            profesional_id=profesional_id,
            descripcion=shielded.text,
            precio_final=precio,
            expira_en=now + timedelta(hours=horas),
            created_at=now,
            updated_at=now,
        )
        message = chat_services.oferta_message_post(
            chat=chat, oferta_id=oferta.pk, sender_id=profesional_id, text=_oferta_text(oferta)
        )
        if shielded.masked:
            bans.infraction_record(
                user_id=profesional_id,
                reason=f"Datos de contacto en una oferta ({', '.join(shielded.kinds)})",
                chat=chat,
                message=message,
            )
        publish(OfferCreated(**_event_fields(oferta), expira_en=oferta.expira_en))
    return oferta


def _oferta_text(oferta: Oferta) -> str:
    return f"Oferta por $ {format_money(oferta.precio_final)}: {oferta.descripcion}"[:MESSAGE_MAX_LENGTH]


def _event_fields(oferta: Oferta) -> dict:
    return {
        "oferta_id": oferta.pk,
        "chat_id": oferta.chat_id,
        "cliente_id": oferta.cliente_id,
        "profesional_id": oferta.profesional_id,
        "descripcion": oferta.descripcion,
        "precio_final": oferta.precio_final,
    }


def _locked_live(oferta_id: UUID, **owner) -> Oferta:
    """The oferta, locked, if it belongs to `owner` and is still open; 404 / 400 otherwise."""
    oferta = Oferta.objects.select_for_update().filter(pk=oferta_id, **owner).first()
    if oferta is None:
        raise NotFound("No encontramos esa oferta.")
    if oferta.estado != OfertaEstado.OFERTADO:
        raise Conflict(f"La oferta ya no está abierta: su estado es {oferta.estado}.", code="oferta_not_open")
    if oferta.expira_en <= timezone.now():
        raise Conflict("La oferta ya no está abierta: su estado es EXPIRADO.", code="oferta_not_open")
    return oferta


def _decide(oferta: Oferta, estado: OfertaEstado) -> None:
    now = timezone.now()
    oferta.estado = estado
    oferta.decided_at = now
    oferta.updated_at = now
    oferta.save(update_fields=["estado", "decided_at", "updated_at"])


def oferta_accept(*, oferta_id: UUID, cliente_id: UUID) -> Acceptance:
    """The client accepts: the trabajo (PENDIENTE_PAGO, commission rate frozen now) is created, then
    its MercadoPago checkout (services.checkouts).

    What other contexts know is read before the oferta is locked, and the checkout is asked for
    after the acceptance committed: no call leaves this context while the row lock is held. A
    concurrent accept waits for the lock and finds the oferta ACEPTADO (400). If MercadoPago cannot
    make the checkout, the trabajo stays PENDIENTE_PAGO with no payment and the client gets 503 saying
    so; `POST /payment/create` makes the checkout later."""
    oferta = Oferta.objects.filter(pk=oferta_id, cliente_id=cliente_id).first()
    if oferta is None:
        raise NotFound("No encontramos esa oferta.")
    eligibility = professionals.work_eligibility(usuario_id=oferta.profesional_id)
    if not eligibility.can_receive_work:
        raise Conflict("El profesional no puede tomar trabajos en este momento.", code="professional_not_eligible")
    rate = professionals.commission_rate(usuario_id=oferta.profesional_id)
    payer = accounts.get_account(user_id=cliente_id)

    with transaction.atomic(using=DB):
        oferta = _locked_live(oferta_id, cliente_id=cliente_id)
        _decide(oferta, OfertaEstado.ACEPTADO)
        now = timezone.now()
        trabajo = Trabajo.objects.create(
            oferta=oferta,
            chat_id=oferta.chat_id,
            cliente_id=oferta.cliente_id,
            profesional_id=oferta.profesional_id,
            descripcion=oferta.descripcion,
            precio_final=oferta.precio_final,
            tasa_comision=rate,
            pago_vence_en=now + timedelta(hours=_rules()["TRABAJO_UNPAID_HOURS"]),
            created_at=now,
            updated_at=now,
        )
        publish(OfferAccepted(**_event_fields(oferta), trabajo_id=trabajo.pk))
        chat_services.system_message_post(
            chat_id=oferta.chat_id,
            text=f"El cliente aceptó la oferta por $ {format_money(oferta.precio_final)}. Falta el pago.",
        )
    try:
        checkout = checkouts.checkout_open(trabajo, payer_email=payer.email if payer else None)
    except ServiceUnavailable as exc:  # MercadoPago, or the payments service itself, did not answer
        raise PaymentProviderUnavailable(
            f"Aceptaste la oferta: el trabajo {trabajo.pk} espera el pago, pero el pago no respondió. "
            "Probá pagar de nuevo en unos minutos."
        ) from exc
    return Acceptance(oferta, trabajo, checkout.preference_id, checkout.payment_url)


def oferta_reject(*, oferta_id: UUID, cliente_id: UUID) -> Oferta:
    with transaction.atomic(using=DB):
        oferta = _locked_live(oferta_id, cliente_id=cliente_id)
        _decide(oferta, OfertaEstado.RECHAZADO)
        publish(OfferRejected(**_event_fields(oferta)))
        chat_services.system_message_post(chat_id=oferta.chat_id, text="El cliente rechazó la oferta.")
    return oferta


def oferta_withdraw(*, oferta_id: UUID, profesional_id: UUID) -> Oferta:
    with transaction.atomic(using=DB):
        oferta = _locked_live(oferta_id, profesional_id=profesional_id)
        _decide(oferta, OfertaEstado.RETIRADO)
        publish(OfferWithdrawn(**_event_fields(oferta)))
        chat_services.system_message_post(chat_id=oferta.chat_id, text="El profesional retiró la oferta.")
    return oferta


def ofertas_expire_due(*, limit: int = 500) -> int:
    """Beat: every open oferta past its deadline becomes EXPIRADO (each in its own transaction;
    rows another transaction holds — being accepted right now — are skipped and looked at again
    on the next sweep)."""
    expired = 0
    for oferta_id in Oferta.objects.filter(estado=OfertaEstado.OFERTADO, expira_en__lte=timezone.now()).values_list(
        "pk", flat=True
    )[:limit]:
        with transaction.atomic(using=DB):
            oferta = (
                Oferta.objects.select_for_update(skip_locked=True)
                .filter(pk=oferta_id, estado=OfertaEstado.OFERTADO, expira_en__lte=timezone.now())
                .first()
            )
            if oferta is None:
                continue
            _decide(oferta, OfertaEstado.EXPIRADO)
            publish(OfferExpired(**_event_fields(oferta)))
            chat_services.system_message_post(chat_id=oferta.chat_id, text="La oferta venció sin respuesta.")
            expired += 1
    return expired
