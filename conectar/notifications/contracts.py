"""PUBLIC: what other contexts may know of notifications — channels, statuses, DTOs, events,
exceptions. Standard library only.

A notification is one thing one person is told (an oferta accepted, a password-reset link); it goes
out on up to three channels, each a delivery with its own status. People are account UUIDs."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from conectar.shared.errors import DomainError, NotFound
from conectar.shared.events import DomainEvent


class Channel(enum.StrEnum):
    PUSH = "push"  # Firebase Cloud Messaging
    EMAIL = "email"  # SendGrid
    SMS = "sms"  # Twilio


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its task (or its next retry)
    SENT = "sent"  # the provider accepted it (or the development store kept it)
    FAILED = "failed"  # refused by the provider (4xx) or out of retries: staff may re-send it
    SKIPPED = "skipped"  # not sent, on purpose: preference off, no device, no phone, unknown person


@dataclass(frozen=True)
class DeliveryDTO:
    channel: Channel
    status: DeliveryStatus
    reason: str  # machine code of a skip or failure ("" when sent or pending)


@dataclass(frozen=True)
class NotificationDTO:
    id: UUID
    user_id: UUID | None  # None for a message to a raw address
    tipo: str
    template: str
    deliveries: tuple[DeliveryDTO, ...]


# --- exceptions ---------------------------------------------------------------------------------------


class UnknownTemplate(DomainError):
    status = 422
    code = "unknown_template"
    default_detail = "No existe esa plantilla de notificación."


class UnknownRecipient(NotFound):
    code = "unknown_user"
    default_detail = "No encontramos a ese usuario."


class PreferenceLocked(DomainError):
    code = "preference_locked"
    default_detail = "Los e-mails de seguridad no se pueden desactivar."


# --- events published ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _DeliveryEvent(DomainEvent):
    notification_id: UUID
    delivery_id: UUID
    user_id: UUID | None
    tipo: str
    template: str
    source_event_id: UUID  # the event (or internal request) this notification answers


@dataclass(frozen=True, kw_only=True)
class NotificationSent(_DeliveryEvent):
    """One delivery went out, on any channel (published together with its channel's own event)."""

    name: ClassVar[str] = "notifications.notification_sent"
    channel: Channel
    provider: str  # fcm | sendgrid | twilio | dev (the development store)


@dataclass(frozen=True, kw_only=True)
class EmailSent(_DeliveryEvent):
    name: ClassVar[str] = "notifications.email_sent"
    provider: str
    provider_message_id: str
    subject: str


@dataclass(frozen=True, kw_only=True)
class PushSent(_DeliveryEvent):
    name: ClassVar[str] = "notifications.push_sent"
    provider: str
    devices: int  # devices that accepted it


@dataclass(frozen=True, kw_only=True)
class SmsSent(_DeliveryEvent):
    name: ClassVar[str] = "notifications.sms_sent"
    provider: str
    provider_message_id: str


@dataclass(frozen=True, kw_only=True)
class NotificationFailed(_DeliveryEvent):
    """A delivery failed for good: refused by the provider, or out of retries. Staff can re-send it."""

    name: ClassVar[str] = "notifications.notification_failed"
    channel: Channel
    reason: str  # machine code: invalid_phone, unregistered, provider_rejected, max_attempts…
    error: str
    attempts: int
