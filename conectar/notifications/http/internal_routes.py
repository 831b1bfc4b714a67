"""Internal routes (API.md § notifications): other services send a push, an e-mail or an SMS.

Authenticated with the platform's service credentials (a key in `X-Service-Key` or `X-API-Key`, or
an HMAC signature; `conectar.platform.service_auth`): missing or wrong ones are a 401 before the body
is read. Two bodies: `{user_id, template, data}` (the person's
preferences apply; the template is one of the catalogue's) or raw `{to, subject/title, body}`.
An `idempotency_key` makes a repeated request notify nobody twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Router, Schema, Status
from pydantic import Field

from conectar.notifications import facade
from conectar.notifications.catalogue import RAW_TEMPLATE, tipo_for_template
from conectar.notifications.contracts import Channel, NotificationDTO, UnknownTemplate
from conectar.notifications.services.dispatch import e164
from conectar.platform.auth import ServiceKey
from conectar.shared.errors import InvalidInput

router = Router(tags=["notifications (internal)"], auth=ServiceKey())

REQUIRED = "Este campo es obligatorio."


class NotifyIn(Schema):
    user_id: UUID | None = None
    template: str | None = Field(default=None, min_length=1, max_length=60)
    data: dict[str, Any] = Field(default_factory=dict)
    to: str | None = Field(default=None, min_length=1, max_length=512)
    subject: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=5000)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


def _body(notification: NotificationDTO) -> dict:
    return {
        "notification_id": str(notification.id),
        "user_id": str(notification.user_id) if notification.user_id else None,
        "template": notification.template,
        "deliveries": [
            {"channel": d.channel.value, "status": d.status.value, "reason": d.reason} for d in notification.deliveries
        ],
    }


def _send(channel: Channel, payload: NotifyIn):
    if payload.user_id is not None or payload.template is not None:
        missing = {f: [REQUIRED] for f in ("user_id", "template") if getattr(payload, f) is None}
        if missing:
            raise InvalidInput(fields=missing)
        tipo = tipo_for_template(payload.template)
        if tipo is None or payload.template == RAW_TEMPLATE:
            raise UnknownTemplate(f"No existe la plantilla de notificación {payload.template!r}.")
        if channel not in tipo.channels:
            raise InvalidInput(
                fields={"template": [f"La plantilla {payload.template!r} no tiene texto para {channel}."]}
            )
        notification = facade.notify(
            user_id=payload.user_id,
            template=payload.template,
            data=payload.data,
            channels=[channel],
            idempotency_key=payload.idempotency_key,
        )
    else:
        to = _raw_address(channel, payload)
        notification = facade.send_raw(
            channel=channel,
            to=to,
            subject=(payload.subject or payload.title or "").strip(),
            body=payload.body.strip(),
            idempotency_key=payload.idempotency_key,
        )
    return Status(202, _body(notification))


def _raw_address(channel: Channel, payload: NotifyIn) -> str:
    errors = {}
    if not payload.to:
        errors["to"] = [REQUIRED]
    if not (payload.body or "").strip():
        errors["body"] = [REQUIRED]
    if channel == Channel.EMAIL and not (payload.subject or "").strip():
        errors["subject"] = [REQUIRED]
    if errors:
        raise InvalidInput("Enviá {user_id, template, data} o {to, subject/body}.", fields=errors)
    to = payload.to.strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(to)
        except DjangoValidationError as exc:
            raise InvalidInput(fields={"to": ["No es un e-mail válido."]}) from exc
    elif channel == Channel.SMS:
        to = e164(to) or ""
        if not to:
            raise InvalidInput(fields={"to": ["No es un número de teléfono válido (formato +5491112345678)."]})
    return to


@router.post("/notify/push", response={202: dict}, summary="Send a push (internal)")
def notify_push(request, payload: NotifyIn):
    return _send(Channel.PUSH, payload)


@router.post("/notify/email", response={202: dict}, summary="Send an e-mail (internal)")
def notify_email(request, payload: NotifyIn):
    return _send(Channel.EMAIL, payload)


@router.post("/notify/sms", response={202: dict}, summary="Send an SMS (internal)")
def notify_sms(request, payload: NotifyIn):
    return _send(Channel.SMS, payload)
