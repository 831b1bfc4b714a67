"""PUBLIC: the functions other contexts and the gateway call. Keyword-only arguments,
DTOs from contracts.py in and out, never models or querysets.

Most notifications start from other contexts' events (see handlers.py); these functions are for a
caller that wants to tell someone something directly (the internal /notify/* routes use them)."""

from __future__ import annotations

from uuid import UUID

from conectar.auth_ctx import facade as accounts
from conectar.notifications.contracts import (
    Channel,
    DeliveryDTO,
    DeliveryStatus,
    NotificationDTO,
    UnknownRecipient,
)
from conectar.platform.lifting.facades import Facade

context = Facade("notifications")
if context.runs_here:  # the internals exist only where notifications runs
    from conectar.notifications.models import Notification
    from conectar.notifications.services import dispatch

INTERNAL_EVENT_TYPE = "notifications.internal_request"


@context.function(idempotent=False)
def notify(
    *,
    user_id: UUID,
    template: str,
    data: dict,
    channels: list[Channel] | None = None,
    idempotency_key: str | None = None,
) -> NotificationDTO:
    """Tell `user_id` what `template` says, on the template's channels (or only `channels`), as their
    preferences allow. The same `idempotency_key` never notifies twice."""
    if accounts.get_account(user_id=user_id) is None:
        raise UnknownRecipient
    (notification,) = dispatch.notify_users(
        event_id=dispatch.event_id_for(idempotency_key),
        event_type=INTERNAL_EVENT_TYPE,
        intents=[dispatch.Intent(user_id, template, data)],
        channels=channels,
    )
    return _dto(notification)


@context.function(idempotent=False)
def send_raw(
    *,
    channel: Channel,
    to: str,
    subject: str = "",
    body: str,
    idempotency_key: str | None = None,
) -> NotificationDTO:
    """A message with its own text to an address (e-mail, E.164 phone number or FCM device token)."""
    notification = dispatch.notify_address(
        event_id=dispatch.event_id_for(idempotency_key),
        event_type=INTERNAL_EVENT_TYPE,
        channel=channel,
        to=to,
        data={"subject": subject, "body": body},
    )
    return _dto(notification)


def _dto(notification: Notification) -> NotificationDTO:
    deliveries = tuple(
        DeliveryDTO(channel=Channel(d.channel), status=DeliveryStatus(d.status), reason=d.reason)
        for d in notification.deliveries.order_by("channel")
    )
    return NotificationDTO(
        id=notification.id,
        user_id=notification.user_id,
        tipo=notification.tipo,
        template=notification.template,
        deliveries=deliveries,
    )
