"""Deciding what goes out: a notification per (event, person), a delivery per channel.

Each delivery is created already decided — pending (its task will send it) or skipped/failed with
the reason (preference off, channel disabled, no phone, unknown person…) — with its text rendered,
so the history shows exactly what was sent. `(event, recipient, channel)` is unique in the table:
an event handled again, or an internal request repeated with its idempotency key, creates nothing
and sends nothing a second time."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction

from conectar.auth_ctx import facade as accounts
from conectar.notifications import providers
from conectar.notifications.catalogue import RAW_TEMPLATE, Tipo, tipo_for_template
from conectar.notifications.contracts import Channel, DeliveryStatus, NotificationFailed, UnknownTemplate
from conectar.notifications.models import Delivery, Notification
from conectar.notifications.selectors import preferences
from conectar.notifications.services import queue, rendering
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.users import facade as users

DB = alias_for("notifications")
_IDEMPOTENCY_NAMESPACE = uuid.UUID("3d0c51a4-8f3e-4a9b-b1f4-5c7f0e2d9a61")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@dataclass(frozen=True)
class Intent:
    """Tell `user_id` what `template` says, with `data` as the template's context."""

    user_id: UUID
    template: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Recipient:
    key: str  # str(user_id) or the raw address
    user_id: UUID | None
    known: bool
    email: str | None
    phone: str | None
    nombre: str


def event_id_for(idempotency_key: str | None) -> UUID:
    """The event id of an internal request: derived from its idempotency key (so a repeated request
    is the same notification), or fresh."""
    return uuid.uuid5(_IDEMPOTENCY_NAMESPACE, idempotency_key) if idempotency_key else uuid.uuid4()


def notify_users(
    *,
    event_id: UUID,
    event_type: str,
    intents: Sequence[Intent],
    channels: Collection[Channel] | None = None,
) -> list[Notification]:
    """One notification per intent, on the tipo's channels (or only `channels`)."""
    ids = list({intent.user_id for intent in intents})
    found = accounts.get_accounts(user_ids=ids)
    profiles = users.get_profiles(user_ids=ids)
    notifications = []
    with transaction.atomic(using=DB):
        for intent in intents:
            tipo = _tipo(intent.template)
            account, profile = found.get(intent.user_id), profiles.get(intent.user_id)
            recipient = _Recipient(
                key=str(intent.user_id),
                user_id=intent.user_id,
                known=account is not None,
                email=account.email if account else None,
                phone=profile.telefono if profile else None,
                nombre=profile.nombre if profile else "",
            )
            notifications.append(
                _notify(
                    recipient,
                    tipo=tipo,
                    template=intent.template,
                    data=intent.data,
                    event_id=event_id,
                    event_type=event_type,
                    channels=channels or tipo.channels,
                )
            )
    return notifications


def notify_address(
    *,
    event_id: UUID,
    event_type: str,
    channel: Channel,
    to: str,
    template: str = RAW_TEMPLATE,
    data: dict | None = None,
) -> Notification:
    """A message to a raw address (an e-mail, a phone number or a device token): staff alerts and
    the raw form of the internal routes. No preferences apply."""
    tipo = _tipo(template)
    recipient = _Recipient(
        key=to,
        user_id=None,
        known=True,
        email=to if channel == Channel.EMAIL else None,
        phone=to if channel == Channel.SMS else None,
        nombre="",
    )
    with transaction.atomic(using=DB):
        return _notify(
            recipient,
            tipo=tipo,
            template=template,
            data=data or {},
            event_id=event_id,
            event_type=event_type,
            channels=[channel],
        )


def _tipo(template: str) -> Tipo:
    tipo = tipo_for_template(template)
    if tipo is None:
        raise UnknownTemplate(f"No existe la plantilla de notificación {template!r}.")
    return tipo


def _notify(
    recipient: _Recipient,
    *,
    tipo: Tipo,
    template: str,
    data: dict,
    event_id: UUID,
    event_type: str,
    channels: Collection[Channel],
) -> Notification:
    data = {"nombre": recipient.nombre, **data}
    text = rendering.render(template, data)
    notification, _ = Notification.objects.get_or_create(
        source_event_id=event_id,
        recipient=recipient.key,
        defaults={
            "user_id": recipient.user_id,
            "tipo": tipo.key,
            "template": template,
            "source_event_type": event_type,
            "data": data,
            "title": text.push_title[:200],
            "summary": text.push_body[:300],
        },
    )
    switches = preferences.for_tipo(recipient.user_id, tipo) if recipient.user_id else {}
    rows = []
    for channel in [c for c in tipo.channels if c in set(channels)]:
        row = _delivery(notification, channel, recipient, text)
        status, reason = _decide(channel, recipient, switches, row)
        row.status, row.reason = status.value, reason
        rows.append(row)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    created = set(Delivery.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
    mine = [r for r in rows if r.pk in created]
    for row in mine:
        if row.status == DeliveryStatus.FAILED:
            publish(_failed_event(notification, row))
    # Every delivery of this notification still waiting, not only the ones made now: when the event
    # comes again because a worker died after this commit but before the tasks were sent, its mails
    # go out now rather than after the sweep's grace. A duplicate task finds the row claimed or not due.
    waiting = Delivery.objects.filter(notification=notification, status=DeliveryStatus.PENDING, claim_id__isnull=True)
    queue.enqueue_on_commit(waiting.values_list("pk", "channel"))
    return notification


def _delivery(notification: Notification, channel: Channel, recipient: _Recipient, text) -> Delivery:
    row = Delivery(
        id=uuid.uuid4(),
        notification=notification,
        event_id=notification.source_event_id,
        recipient=recipient.key,
        channel=channel.value,
    )
    if channel == Channel.EMAIL:
        row.to, row.subject, row.body, row.html = recipient.email or "", text.subject, text.text, text.html
    elif channel == Channel.SMS:
        row.to, row.body = e164(recipient.phone) or (recipient.phone or ""), text.sms
    else:
        row.subject, row.body = text.push_title, text.push_body
        row.to = recipient.key if recipient.user_id is None else ""  # a raw push names its device token
        row.payload = push_data(notification)
    return row


def _decide(  # noqa: PLR0911 - one return per reason
    channel: Channel, recipient: _Recipient, switches: dict[Channel, bool], row: Delivery
) -> tuple[DeliveryStatus, str]:
    if not providers.enabled(channel):
        return DeliveryStatus.SKIPPED, "channel_disabled"
    if not recipient.known:
        return DeliveryStatus.SKIPPED, "unknown_user"
    if not switches.get(channel, True):
        return DeliveryStatus.SKIPPED, "preference_off"
    if channel == Channel.EMAIL and not recipient.email:
        return DeliveryStatus.SKIPPED, "no_email"
    if channel == Channel.SMS:
        if not recipient.phone:
            return DeliveryStatus.SKIPPED, "no_phone"
        if not _E164.match(row.to):
            row.last_error = f"El teléfono {recipient.phone!r} no es un número válido."
            return DeliveryStatus.FAILED, "invalid_phone"
    return DeliveryStatus.PENDING, ""


def push_data(notification: Notification) -> dict[str, str]:
    """FCM data (strings only): what the app needs to open the right screen."""
    data = notification.data
    payload = {"tipo": notification.tipo, "template": notification.template, "notification_id": str(notification.id)}
    if data.get("url"):
        payload["url"] = str(data["url"])
        payload["link"] = rendering.absolute(str(data["url"]))
    payload.update({k: str(v) for k, v in data.items() if k.endswith("_id") and v is not None})
    return payload


def e164(phone: str | None) -> str | None:
    """A phone number as Twilio wants it (+5491143219876), or None when it cannot be one.

    Argentine numbers written locally ("011 4321-9876", "11 4321 9876") get +54 9 (mobile, for SMS);
    Twilio itself has the last word on whether the number exists."""
    if not phone:
        return None
    compact = re.sub(r"[\s\-().]", "", phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        return compact if _E164.match(compact) else None
    if not compact.isdigit():
        return None
    if compact.startswith("54") and len(compact) >= 12:  # noqa: PLR2004 - 54 + area + number
        return "+" + compact
    national = compact.removeprefix("0")
    if len(national) == 10:  # noqa: PLR2004 - Argentine area code + number
        return "+549" + national
    return None


def _failed_event(notification: Notification, row: Delivery) -> NotificationFailed:
    return NotificationFailed(
        notification_id=notification.id,
        delivery_id=row.pk,
        user_id=notification.user_id,
        tipo=notification.tipo,
        template=notification.template,
        source_event_id=notification.source_event_id,
        channel=Channel(row.channel),
        reason=row.reason,
        error=row.last_error,
        attempts=row.attempts,
    )
