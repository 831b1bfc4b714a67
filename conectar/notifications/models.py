"""Notifications tables (database alias `notifications`).

- `Notification`: one thing one person (or one raw address) is told, answering one event.
- `Delivery`: that notification on one channel, with its status, the rendered text, the provider's
  answer and the lease of the attempt sending it. `(event_id, recipient, channel)` is unique:
  whatever is redelivered, nobody hears of the same event twice on the same channel. In development
  (no provider credentials) the delivery row itself is the local store (`provider = "dev"`), shown
  in Django admin and by `latest_messages`.
- `DeliveryAttempt`: each call to a provider (or wait for its open circuit), for staff.
- `Preference`: what a person switched on or off (event tipo and channel); absent means the default.
- `Device`: FCM registration tokens.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from conectar.notifications.contracts import Channel, DeliveryStatus

CHANNEL_CHOICES = [(c.value, c.value) for c in Channel]
STATUS_CHOICES = [(s.value, s.value) for s in DeliveryStatus]
DEV_PROVIDER = "dev"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(null=True, blank=True)  # None: a raw address (staff alert, internal raw send)
    recipient = models.CharField(max_length=254)  # str(user_id), or the raw address
    tipo = models.CharField(max_length=40)
    template = models.CharField(max_length=60)
    source_event_id = models.UUIDField()
    source_event_type = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)  # the template's context (JSON values only)
    title = models.CharField(max_length=200, blank=True)  # short texts for the history (the push's)
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_event_id", "recipient"], name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["user_id", "-created_at", "-id"], name="notification_history_idx")]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient}"


class Delivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()  # = notification.source_event_id, here for the unique constraint
    recipient = models.CharField(max_length=254)
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=DeliveryStatus.PENDING.value)
    reason = models.CharField(max_length=40, blank=True)  # machine code of a skip or failure
    to = models.TextField(blank=True)  # e-mail address, phone number, or the device tokens used
    subject = models.CharField(max_length=300, blank=True)  # e-mail subject or push title
    body = models.TextField(blank=True)  # e-mail plain text, push body or SMS text
    html = models.TextField(blank=True)  # e-mail HTML
    payload = models.JSONField(default=dict, blank=True)  # push data (deep link)
    provider = models.CharField(max_length=16, blank=True)  # fcm | sendgrid | twilio | dev
    provider_message_id = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # calls that reached (or tried to reach) the provider
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)  # while claimed: when the lease runs out
    # The attempt that holds the lease (claim → send → settle): its settle applies only while this
    # is still its id, so an attempt that outlived its lease cannot overwrite a newer one. None: unclaimed.
    claim_id = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event_id", "recipient", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="delivery_pending_idx", condition=models.Q(status="pending")),
            models.Index(fields=["status", "-created_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} → {self.to or self.recipient}"


class DevMessage(Delivery):
    """The development store: deliveries kept locally because the provider has no credentials."""

    class Meta:
        proxy = True
        verbose_name = "development message"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        SENT = "sent"
        RETRY = "retry"  # a provider fault (5xx, timeout, connection): tried again later
        CIRCUIT_OPEN = "circuit_open"  # not called: the provider's breaker is open; waits for it
        FAILED = "failed"  # refused (4xx) or out of retries

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    provider = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class Preference(models.Model):
    id = models.BigAutoField(primary_key=True)
    user_id = models.UUIDField()
    tipo = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "tipo", "channel"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.tipo}/{self.channel}={'on' if self.enabled else 'off'}"


class Device(models.Model):
    class Platform(models.TextChoices):
        ANDROID = "android"
        IOS = "ios"
        WEB = "web"

    id = models.BigAutoField(primary_key=True)
    token = models.CharField(max_length=512, unique=True)  # one token, one device, one owner
    user_id = models.UUIDField(db_index=True)
    platform = models.CharField(max_length=8, choices=Platform.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.platform} {self.token[:16]}… ({self.user_id})"
