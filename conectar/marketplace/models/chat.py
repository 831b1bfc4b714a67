"""Chat tables: the pair's conversation, its messages, read marks and contact-shielding standing."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conectar.marketplace.contracts import MessageKind

MESSAGE_MAX_LENGTH = 2000


class Chat(models.Model):
    """The one conversation of a (cliente, profesional) pair."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cliente_id = models.UUIDField()
    profesional_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cliente_id", "profesional_id"], name="chat_one_per_pair"),
            models.CheckConstraint(condition=~Q(cliente_id=F("profesional_id")), name="chat_two_people"),
        ]
        indexes = [
            # "my chats", newest activity first, from either side
            models.Index(F("cliente_id"), F("last_message_at").desc(nulls_last=True), name="chat_cliente_activity"),
            models.Index(
                F("profesional_id"), F("last_message_at").desc(nulls_last=True), name="chat_profesional_activity"
            ),
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk}"

    def participants(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.cliente_id, self.profesional_id)

    def other_than(self, user_id: uuid.UUID) -> uuid.UUID:
        return self.profesional_id if user_id == self.cliente_id else self.cliente_id


class Message(models.Model):
    """A message as stored and delivered: `text` is already shielded (masked when `masked`).

    `created_at` is taken under the chat's row lock and is strictly increasing within a chat, so
    per-chat time order is commit order: read receipts and `before` cursors can rely on it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    sender_id = models.UUIDField(null=True, blank=True)  # None for `sistema` messages
    kind = models.CharField(max_length=10, choices=[(k.value, k.value) for k in MessageKind])
    text = models.TextField()  # 1 to 2000 chars as sent; masking may change the length slightly
    masked = models.BooleanField(default=False)
    oferta_id = models.UUIDField(null=True, blank=True)  # the oferta an `oferta` message presents
    created_at = models.DateTimeField(default=timezone.now)
    # The sender's own id for the message (socket frames' `client_id`): sent again, it is stored once.
    client_id = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [
            # newest-first paging inside a chat, and the last message / unread counts of a chat
            models.Index(F("chat"), F("created_at").desc(), F("id").desc(), name="message_chat_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "sender_id", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_once_per_client_id",
            ),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in MessageKind]), name="message_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=MessageKind.SISTEMA) | Q(sender_id__isnull=False), name="message_has_sender"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class ReadState(models.Model):
    """How far one participant has read one chat."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="read_states")
    user_id = models.UUIDField()
    last_read_message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, related_name="+")
    last_read_at = models.DateTimeField()  # the created_at of last_read_message: everything up to it is read

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chat", "user_id"], name="read_state_one_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} leyó {self.chat_id} hasta {self.last_read_at:%Y-%m-%d %H:%M}"


class ChatStanding(models.Model):
    """A user's contact-shielding record: infractions so far and the chat ban they lead to."""

    user_id = models.UUIDField(primary_key=True)
    infractions = models.PositiveIntegerField(default=0)  # since the last lift
    total_infractions = models.PositiveIntegerField(default=0)  # ever
    is_banned = models.BooleanField(default=False)
    banned_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.UUIDField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "chat infractions / ban"
        verbose_name_plural = "chat infractions / bans"

    def __str__(self) -> str:
        return f"{self.user_id} ({self.infractions} infracciones{', bloqueado' if self.is_banned else ''})"


class ChatInfraction(models.Model):
    """One infraction, for the record staff reads before lifting a ban."""

    id = models.BigAutoField(primary_key=True)
    standing = models.ForeignKey(ChatStanding, on_delete=models.CASCADE, related_name="records")
    chat = models.ForeignKey(Chat, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.reason}"
