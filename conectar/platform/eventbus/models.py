"""The event bus's own tables. They exist in every context database (see the router): a context's
outbox holds what it published, its processed-events and dead letters what it consumed."""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event published inside the publisher's transaction, waiting to be relayed."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=200)
    envelope = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The relay only ever scans what has not been relayed yet, oldest first.
            models.Index(fields=["id"], name="outbox_pending_idx", condition=models.Q(relayed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboxDelivery(models.Model):
    """One (event, subscriber) pair the relay has sent, kept in the publisher's database until the
    subscriber confirms it (its processed-events record exists, or it was dead-lettered).

    Until then the relay sends it again whenever `next_attempt_at` passes: a lease while the
    message is out, or the backoff a failing handler asked for. Nothing else has to survive —
    not the broker's copy of the message, not the worker that took it."""

    class Outcome(models.TextChoices):
        HANDLED = "handled", "Handled"
        DEAD = "dead", "Dead-lettered"

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=255)
    subscriber = models.CharField(max_length=64)  # the subscribing context: its queue and database
    sends = models.PositiveIntegerField(default=1)
    failures = models.PositiveIntegerField(default=0)  # attempts the handler itself reported failed
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once")]
        indexes = [
            # The relay's redelivery scan and the metrics only look at what is still unconfirmed.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_unconfirmed_idx",
                condition=models.Q(confirmed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.handler}"


class ProcessedEvent(models.Model):
    """`(event_id, handler)` committed together with the handler's effects: the dedupe record."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField()
    handler = models.CharField(max_length=255)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "handler"], name="processed_event_once")]

    def __str__(self) -> str:
        return f"{self.event_id} by {self.handler}"


class DeadLetter(models.Model):
    """A delivery that kept failing after every retry; staff re-drive it once the cause is fixed."""

    class Status(models.TextChoices):
        DEAD = "dead", "Dead"
        REDRIVEN = "redriven", "Re-driven"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    handler = models.CharField(max_length=255)
    envelope = models.JSONField()
    attempts = models.PositiveIntegerField()
    last_error = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DEAD)
    died_at = models.DateTimeField()
    redriven_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "handler"], name="dead_letter_once")]
        ordering = ["-died_at"]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.handler}"
