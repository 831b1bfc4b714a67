"""People, events and deliveries for the notification tests."""

from __future__ import annotations

import itertools

from django.db import transaction
from django.utils import timezone

from conectar.notifications.models import Delivery, Notification
from conectar.notifications.services.delivery import delivery_attempt
from conectar.platform.databases import alias_for
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for
from conectar.platform.events import publish
from conectar.shared.events import DomainEvent
from conectar.users import facade as users
from tests.notifications.conftest import SERVICE_KEY
from tests.support.accounts import Session, signed_up
from tests.support.events import deliver_outbox

JSON = "application/json"
_tokens = itertools.count(1)


def person(
    client, *, rol="CLIENTE", nombre="Ana", apellido="García", telefono=None, device=True, welcome=False
) -> Session:
    """Registered through the API, profile made by the registration event, optionally a phone and
    an FCM device. The welcome e-mail the registration queued is dropped unless `welcome`."""
    session = signed_up(client, rol=rol, nombre=nombre, apellido=apellido)
    deliver_outbox()
    assert users.get_profile(user_id=session.user_id) is not None
    if telefono:
        response = client.patch("/api/v1/users/me", {"telefono": telefono}, content_type=JSON, headers=session.headers)
        assert response.status_code == 200, response.content
        deliver_outbox()
    if device:
        register_device(client, session)
    if not welcome:
        Notification.objects.filter(user_id=session.user_id).delete()
    return session


def register_device(client, session: Session, token: str | None = None, platform: str = "android") -> str:
    token = token or f"fcm-token-{next(_tokens):06d}-{'x' * 40}"
    response = client.post(
        "/api/v1/notify/devices", {"token": token, "platform": platform}, content_type=JSON, headers=session.headers
    )
    assert response.status_code in (200, 201), response.content
    return token


def publish_event(event: DomainEvent) -> None:
    """Published as its context would (inside a transaction on its database), then delivered
    in-process to the notifications context's subscribers only, with the bus's own delivery
    function: the other subscribers (payments, professionals…) are not under test here."""
    alias = alias_for(event.context)
    with transaction.atomic(using=alias):
        publish(event)
    row = OutboxEvent.objects.using(alias).get(event_id=event.event_id)
    for sub in subscriptions_for(row.event_type):
        if sub.context == "notifications":
            handle_once(sub, row.envelope)
    OutboxEvent.objects.using(alias).filter(pk=row.pk).update(relayed_at=timezone.now())
    deliver_outbox()  # what the handlers published


def run_deliveries(*, rounds: int = 10) -> None:
    """The worker's job, in this process: attempt every pending delivery; a retry is attempted at
    once (the test stands in for the clock, not for the backoff decision)."""
    for _ in range(rounds):
        pending = list(Delivery.objects.filter(status="pending").order_by("created_at").values_list("pk", flat=True))
        if not pending:
            return
        for pk in pending:
            Delivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
            delivery_attempt(pk)
    raise AssertionError(f"deliveries still pending after {rounds} rounds")


def notifications_of(user_id) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user_id).order_by("created_at"))


def delivery(user_id, template: str, channel: str) -> Delivery:
    return Delivery.objects.get(notification__user_id=user_id, notification__template=template, channel=channel)


def internal(client, channel: str, body: dict, *, key: str | None = SERVICE_KEY):
    headers = {"X-Service-Key": key} if key is not None else {}
    return client.post(f"/api/v1/notify/{channel}", body, content_type=JSON, headers=headers)
