"""Pushing chat happenings to the chat's open sockets through the Channels layer.

One group per chat (`chat.<id>`); every socket of either participant joins it. Pushes go out only
after the writing transaction commits (`transaction.on_commit`), so nobody sees a message that was
rolled back, and a failed push (Redis down) never undoes a stored message: the reader still gets it
from GET /chat/messages, and the recipient its push notification through MessageSent."""

from __future__ import annotations

from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from conectar.marketplace.models import Message, ReadState
from conectar.platform.databases import alias_for

log = structlog.get_logger(__name__)
DB = alias_for("marketplace")


def group_name(chat_id: UUID) -> str:
    return f"chat.{chat_id}"


def message_body(message: Message) -> dict:
    return {
        "id": str(message.pk),
        "chat_id": str(message.chat_id),
        "sender_id": str(message.sender_id) if message.sender_id else None,
        "kind": message.kind,
        "text": message.text,
        "masked": message.masked,
        "created_at": message.created_at.isoformat(),
    } | ({"client_id": str(message.client_id)} if message.client_id else {})  # the sender's, when it gave one


def read_body(state: ReadState) -> dict:
    return {
        "chat_id": str(state.chat_id),
        "user_id": str(state.user_id),
        "last_read_message_id": str(state.last_read_message_id) if state.last_read_message_id else None,
        "read_at": state.last_read_at.isoformat(),
    }


def _send(chat_id: UUID, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(chat_id), event)
    except Exception:  # the message is stored; only its live delivery failed
        log.exception("chat.push_failed", chat_id=str(chat_id), event_type=event["type"])


def push_after_commit(chat_id: UUID, event: dict) -> None:
    transaction.on_commit(lambda: _send(chat_id, event), using=DB)


def message_event(message: Message) -> dict:
    return {"type": "chat.message", "message": message_body(message)}


def message_created(message: Message) -> None:
    push_after_commit(message.chat_id, message_event(message))


def messages_read(state: ReadState) -> None:
    push_after_commit(state.chat_id, {"type": "chat.read", "receipt": read_body(state)})
