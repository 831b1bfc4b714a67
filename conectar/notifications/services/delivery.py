"""Sending one delivery: at least once, retried with backoff while the provider is at fault.

No transaction or row lock is open while a provider answers (an SDK call may take up to its
timeout, and a push makes one per device), so `delivery_attempt` runs in three steps, like the
payouts' worker:

1. claim: a short transaction locks the row, checks that it is pending and due, and takes a lease
   (a fresh `claim_id`, `next_attempt_at` moved past the longest the send can take). A duplicate
   task or the sweep finds it not due and leaves it to this attempt.
2. send: through the channel's adapter (its SDK call guarded by a circuit breaker and a timeout),
   outside any transaction.
3. settle: a second short transaction records the outcome only if the row still carries this
   attempt's `claim_id` (compare-and-set), publishing NotificationSent + EmailSent/PushSent/SmsSent
   or NotificationFailed:

- accepted → sent;
- refused (4xx: invalid phone, unregistered device…) → failed at once, never retried; an
  unregistered FCM token is forgotten;
- a provider fault (5xx, 429, timeout, connection) → pending again with the next attempt due after
  an exponential backoff with jitter, until NOTIFY_MAX_ATTEMPTS calls have failed → failed;
- the provider's breaker open → not called, not counted: pending again, due when the breaker may
  close, so deliveries wait out an outage and go out after it.

A worker killed between claim and settle leaves the row pending with its lease: once the lease is
over the sweep finds it overdue and it is sent again (at least once; an e-mail still carries the
delivery id as its reference). An attempt that outlives its lease finds another claim on the row
and records nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conectar.notifications import providers
from conectar.notifications.contracts import (
    Channel,
    DeliveryStatus,
    EmailSent,
    NotificationFailed,
    NotificationSent,
    PushSent,
    SmsSent,
)
from conectar.notifications.models import DEV_PROVIDER, Delivery, DeliveryAttempt, Device
from conectar.notifications.providers.base import (
    CircuitOpen,
    Email,
    PermanentError,
    ProviderError,
    Push,
    Sms,
    TransientError,
    UnregisteredDevice,
)
from conectar.notifications.selectors import devices
from conectar.notifications.services import queue
from conectar.platform.databases import alias_for
from conectar.platform.events import publish

DB = alias_for("notifications")
log = structlog.get_logger(__name__)
_EARLY_SLACK = timedelta(seconds=1)
_LEASE_MARGIN_SECONDS = 30.0  # breaker bookkeeping, the device deletions, a slow settle


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus | None  # None: the delivery does not exist
    retry_in: float | None = None  # pending: seconds until the next attempt is due


class _NoDevice(Exception):
    pass


@dataclass
class _Sent:
    message_id: str
    to: str
    devices: int = 0


@dataclass(frozen=True)
class _Result:
    """What the send step found out, for the settle step to record."""

    provider: str = ""  # the adapter's name; "" when the channel is disabled
    sent: _Sent | None = None
    skipped: str = ""  # the reason nothing was sent (and nothing will be)
    error: ProviderError | None = None


def retry_delay(attempt: int) -> float:
    """Exponential backoff with equal jitter: between half and all of min(cap, base·2^(n-1))."""
    ceiling = min(settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS, settings.NOTIFY_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


def lease_seconds(delivery: Delivery) -> float:
    """Longer than the send step can take: each SDK call may spend its timeout connecting and again
    reading, and a push makes one call per device plus, now and then, one for an access token."""
    channel = Channel(delivery.channel)
    calls = 1
    if channel == Channel.PUSH:
        timeout = settings.FCM_TIMEOUT_SECONDS
        user_id = delivery.notification.user_id
        calls += devices.count_of(user_id) if user_id else 1
    elif channel == Channel.EMAIL:
        timeout = settings.SENDGRID_TIMEOUT_SECONDS
    else:
        timeout = settings.TWILIO_TIMEOUT_SECONDS
    return 2 * timeout * calls + _LEASE_MARGIN_SECONDS


def delivery_attempt(delivery_id: UUID) -> Outcome:
    claimed = _claim(delivery_id)
    if isinstance(claimed, Outcome):
        return claimed
    return _settle(claimed, _attempt(claimed))


def _claim(delivery_id: UUID) -> Delivery | Outcome:
    """The delivery, leased to this attempt (committed before any provider is called), or the
    outcome to report without sending."""
    with transaction.atomic(using=DB, durable=True):
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return Outcome(status=None)
        if delivery.status != DeliveryStatus.PENDING:
            return Outcome(status=DeliveryStatus(delivery.status))
        now = timezone.now()
        if delivery.next_attempt_at > now + _EARLY_SLACK:
            # A duplicate of a task scheduled for later (the sweep re-sent it), or another attempt
            # holds the lease: that one settles it (and if it was lost, the sweep sends it again
            # once overdue).
            return Outcome(status=DeliveryStatus.PENDING)
        delivery.claim_id = uuid.uuid4()
        delivery.next_attempt_at = now + timedelta(seconds=lease_seconds(delivery))
        delivery.save(update_fields=["claim_id", "next_attempt_at", "updated_at"])
        return delivery


def _attempt(delivery: Delivery) -> _Result:
    """The send step: outside any transaction (only an unregistered device's row is deleted)."""
    channel = Channel(delivery.channel)
    adapter = providers.for_channel(channel)
    if adapter is None:
        return _Result(skipped="channel_disabled")
    try:
        return _Result(provider=adapter.name, sent=_send(delivery, channel, adapter))
    except _NoDevice:
        return _Result(provider=adapter.name, skipped="no_device")
    except (PermanentError, TransientError) as exc:
        return _Result(provider=adapter.name, error=exc)


def _send(delivery: Delivery, channel: Channel, adapter) -> _Sent:
    ref = str(delivery.pk)
    if channel == Channel.EMAIL:
        email = Email(to=delivery.to, subject=delivery.subject, text=delivery.body, html=delivery.html, reference=ref)
        return _Sent(adapter.send(email), delivery.to)
    if channel == Channel.SMS:
        return _Sent(adapter.send(Sms(to=delivery.to, body=delivery.body)), delivery.to)
    return _push(delivery, adapter)


def _push(delivery: Delivery, adapter) -> _Sent:
    user_id = delivery.notification.user_id
    tokens = devices.tokens_of(user_id) if user_id else [t for t in [delivery.to] if t]
    collapse = delivery.notification.data.get("chat_id") or delivery.notification.template
    messages = [
        Push(token=t, title=delivery.subject, body=delivery.body, data=delivery.payload, collapse_key=str(collapse))
        for t in tokens
    ]
    if adapter.name == DEV_PROVIDER:  # the development store keeps the push even with no device
        message = messages[0] if messages else Push(token="", title=delivery.subject, body=delivery.body)
        return _Sent(adapter.send(message), ", ".join(tokens) or "(sin dispositivos registrados)", len(tokens))
    if not messages:
        raise _NoDevice
    accepted, ids, transient, refused = [], [], None, None
    for message in messages:
        try:
            ids.append(adapter.send(message))
            accepted.append(message.token)
        except UnregisteredDevice as exc:
            Device.objects.filter(token=message.token).delete()
            refused = refused or exc
        except PermanentError as exc:
            refused = refused or exc
        except TransientError as exc:
            transient = transient or exc
    if accepted:
        return _Sent(ids[0], ", ".join(accepted), len(accepted))
    if transient is not None:
        raise transient  # nothing went out: try every device again later
    raise refused


def _settle(claimed: Delivery, result: _Result) -> Outcome:
    with transaction.atomic(using=DB, durable=True):
        # Compare-and-set: only while the row is still the one this attempt claimed.
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(pk=claimed.pk, status=DeliveryStatus.PENDING, claim_id=claimed.claim_id)
            .first()
        )
        if delivery is None:
            return _lease_lost(claimed, result)
        delivery.claim_id = None
        if result.provider:
            delivery.provider = result.provider
        return _record(delivery, result)


def _record(delivery: Delivery, result: _Result) -> Outcome:  # noqa: PLR0911 - one return per outcome
    if result.skipped:
        return _finish(delivery, DeliveryStatus.SKIPPED, reason=result.skipped)
    exc = result.error
    if isinstance(exc, PermanentError):
        delivery.attempts += 1
        _log(delivery, DeliveryAttempt.Outcome.FAILED, exc)
        return _fail(delivery, exc.reason, str(exc))
    if isinstance(exc, CircuitOpen):
        if exc.called:  # this call failed and tripped the breaker
            delivery.attempts += 1
        _log(delivery, DeliveryAttempt.Outcome.RETRY if exc.called else DeliveryAttempt.Outcome.CIRCUIT_OPEN, exc)
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            return _fail(delivery, "max_attempts", str(exc))
        # Due when the breaker lets a trial call through (jittered, so waiting deliveries spread out).
        return _retry(delivery, exc.retry_after * (1 + random.uniform(0, 0.2)), str(exc))  # noqa: S311
    if exc is not None:  # a transient fault
        delivery.attempts += 1
        _log(delivery, DeliveryAttempt.Outcome.RETRY, exc)
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            return _fail(delivery, "max_attempts", str(exc))
        return _retry(delivery, retry_delay(delivery.attempts), str(exc))
    sent = result.sent
    delivery.attempts += 1
    delivery.provider_message_id = sent.message_id[:300]
    delivery.to = sent.to
    delivery.sent_at = timezone.now()
    _log(delivery, DeliveryAttempt.Outcome.SENT)
    outcome = _finish(delivery, DeliveryStatus.SENT)
    _publish_sent(delivery, Channel(delivery.channel), sent)
    return outcome


def _lease_lost(claimed: Delivery, result: _Result) -> Outcome:
    """This attempt outlived its lease and another one claimed the row (or it was settled or
    deleted meanwhile): that one records the outcome; this one only leaves a trace."""
    status = Delivery.objects.filter(pk=claimed.pk).values_list("status", flat=True).first()
    log.warning(
        "notifications.lease_lost",
        delivery_id=str(claimed.pk),
        status=status,
        sent=result.sent is not None,
        provider_message_id=result.sent.message_id if result.sent else "",
        error=str(result.error)[:300] if result.error else "",
    )
    return Outcome(status=DeliveryStatus(status) if status else None)


def _finish(delivery: Delivery, status: DeliveryStatus, *, reason: str = "") -> Outcome:
    delivery.status = status.value
    delivery.reason = reason
    if status == DeliveryStatus.SENT:
        delivery.last_error = ""
    delivery.save()
    return Outcome(status=status)


def _fail(delivery: Delivery, reason: str, error: str) -> Outcome:
    delivery.last_error = error[:10_000]
    outcome = _finish(delivery, DeliveryStatus.FAILED, reason=reason)
    notification = delivery.notification
    publish(
        NotificationFailed(
            notification_id=notification.id,
            delivery_id=delivery.pk,
            user_id=notification.user_id,
            tipo=notification.tipo,
            template=notification.template,
            source_event_id=notification.source_event_id,
            channel=Channel(delivery.channel),
            reason=reason,
            error=error[:1000],
            attempts=delivery.attempts,
        )
    )
    log.warning("notifications.failed", delivery_id=str(delivery.pk), reason=reason, error=error[:500])
    return outcome


def _retry(delivery: Delivery, delay: float, error: str) -> Outcome:
    delivery.last_error = error[:10_000]
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    delivery.save()
    log.info(
        "notifications.retry",
        delivery_id=str(delivery.pk),
        delay=round(delay, 2),
        attempts=delivery.attempts,
        error=error[:300],
    )
    return Outcome(status=DeliveryStatus.PENDING, retry_in=delay)


def _log(delivery: Delivery, outcome: DeliveryAttempt.Outcome, error: Exception | None = None) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery, outcome=outcome, provider=delivery.provider, error=str(error)[:2000] if error else ""
    )


def _publish_sent(delivery: Delivery, channel: Channel, sent: _Sent) -> None:
    notification = delivery.notification
    common = {
        "notification_id": notification.id,
        "delivery_id": delivery.pk,
        "user_id": notification.user_id,
        "tipo": notification.tipo,
        "template": notification.template,
        "source_event_id": notification.source_event_id,
    }
    publish(NotificationSent(**common, channel=channel, provider=delivery.provider))
    if channel == Channel.EMAIL:
        publish(
            EmailSent(
                **common,
                provider=delivery.provider,
                provider_message_id=delivery.provider_message_id,
                subject=delivery.subject,
            )
        )
    elif channel == Channel.PUSH:
        publish(PushSent(**common, provider=delivery.provider, devices=sent.devices))
    else:
        publish(SmsSent(**common, provider=delivery.provider, provider_message_id=delivery.provider_message_id))


# --- staff and the sweep --------------------------------------------------------------------------


def deliveries_resend(*, delivery_ids: list[UUID]) -> int:
    """Staff: send failed deliveries again (from the first attempt). Returns how many were queued."""
    with transaction.atomic(using=DB):
        rows = list(Delivery.objects.select_for_update().filter(pk__in=delivery_ids, status=DeliveryStatus.FAILED))
        for row in rows:
            row.status = DeliveryStatus.PENDING.value
            row.reason = ""
            row.attempts = 0
            row.next_attempt_at = timezone.now()
            row.save()
        queue.enqueue_on_commit((row.pk, row.channel) for row in rows)
    return len(rows)


def deliveries_sweep(*, older_than: float, limit: int = 500) -> int:
    """Re-enqueue pending deliveries that were due `older_than` seconds ago (their task was lost:
    broker down at commit, a worker killed, also mid-send once its lease is over). Their due time
    moves to now, so they are not re-sent by the next sweep while they wait in the queue."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    with transaction.atomic(using=DB):
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
            .order_by("next_attempt_at")
            .values_list("pk", "channel")[:limit]
        )
        Delivery.objects.filter(pk__in=[pk for pk, _ in due]).update(next_attempt_at=timezone.now())
        queue.enqueue_on_commit(due)
    return len(due)
