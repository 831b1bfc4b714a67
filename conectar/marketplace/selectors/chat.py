"""Reads of chats and messages, shaped for the routes, the socket and the facade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from conectar.marketplace.contracts import ChatDTO, MessageDTO, MessageKind
from conectar.marketplace.models import Chat, ChatStanding, Message, ReadState
from conectar.shared.errors import InvalidInput, NotFound

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_chat_dto(chat: Chat) -> ChatDTO:
    return ChatDTO(
        id=chat.pk,
        cliente_id=chat.cliente_id,
        profesional_id=chat.profesional_id,
        created_at=chat.created_at,
        last_message_at=chat.last_message_at,
    )


def to_message_dto(message: Message) -> MessageDTO:
    return MessageDTO(
        id=message.pk,
        chat_id=message.chat_id,
        sender_id=message.sender_id,
        kind=MessageKind(message.kind),
        text=message.text,
        masked=message.masked,
        created_at=message.created_at,
    )


def chat_between(cliente_id: UUID, profesional_id: UUID) -> Chat | None:
    return Chat.objects.filter(cliente_id=cliente_id, profesional_id=profesional_id).first()


def chat_for_participant(chat_id: UUID, user_id: UUID) -> Chat:
    """The chat if `user_id` takes part in it; otherwise 404, so existence is not revealed."""
    chat = Chat.objects.filter(Q(cliente_id=user_id) | Q(profesional_id=user_id), pk=chat_id).first()
    if chat is None:
        raise NotFound("No encontramos ese chat.")
    return chat


def chat_for_reader(chat_id: UUID, user_id: UUID, *, is_staff: bool) -> Chat:
    """Participants read their chat; staff read any chat (support, disputes)."""
    if is_staff:
        chat = Chat.objects.filter(pk=chat_id).first()
        if chat is None:
            raise NotFound("No encontramos ese chat.")
        return chat
    return chat_for_participant(chat_id, user_id)


def _read_at(user_id: UUID, chat_ref: str = "pk"):
    return Coalesce(
        Subquery(ReadState.objects.filter(chat=OuterRef(chat_ref), user_id=user_id).values("last_read_at")[:1]),
        Value(EPOCH),
    )


def _unread_of(user_id: UUID) -> Q:
    """Messages a participant has not read: not their own, newer than their read mark."""
    return ~Q(sender_id=user_id) & Q(created_at__gt=F("read_at"))


@dataclass(frozen=True)
class ChatRow:
    chat: Chat
    other_id: UUID
    last_message: Message | None
    unread: int


def chats_of(user_id: UUID, *, limit: int, offset: int = 0) -> list[ChatRow]:
    """The user's chats, newest activity first, each with its last message and unread count
    (three queries whatever the number of chats)."""
    unread = (
        Message.objects.filter(chat=OuterRef("pk"))
        .annotate(read_at=_read_at(user_id, "chat"))
        .filter(_unread_of(user_id))
        .order_by()
        .values("chat")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_id = Message.objects.filter(chat=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    chats = list(
        Chat.objects.filter(Q(cliente_id=user_id) | Q(profesional_id=user_id))
        .annotate(unread=Coalesce(Subquery(unread), Value(0)), last_id=Subquery(last_id))
        .order_by(Coalesce("last_message_at", "created_at").desc(), "-pk")[offset : offset + limit]
    )
    last = Message.objects.in_bulk([c.last_id for c in chats if c.last_id])
    return [ChatRow(c, c.other_than(user_id), last.get(c.last_id), c.unread) for c in chats]


def unread_total(user_id: UUID) -> tuple[int, int]:
    """(unread messages, chats with unread messages) over all the user's chats."""
    counts = (
        Message.objects.filter(Q(chat__cliente_id=user_id) | Q(chat__profesional_id=user_id))
        .annotate(read_at=_read_at(user_id, "chat"))
        .filter(_unread_of(user_id))
        .aggregate(messages=Count("pk"), chats=Count("chat", distinct=True))
    )
    return counts["messages"], counts["chats"]


def unread_in(chat: Chat, user_id: UUID) -> int:
    return (
        Message.objects.filter(chat=chat)
        .annotate(read_at=_read_at(user_id, "chat"))
        .filter(_unread_of(user_id))
        .count()
    )


def read_by_recipients(chat: Chat, messages: list[Message]) -> dict[UUID, bool]:
    """Per message: whether every participant but its sender has read it (v1's `read`)."""
    marks = dict(ReadState.objects.filter(chat=chat).values_list("user_id", "last_read_at"))
    participants = (chat.cliente_id, chat.profesional_id)
    return {m.pk: all(marks.get(p, EPOCH) >= m.created_at for p in participants if p != m.sender_id) for m in messages}


def _cursor_filter(chat: Chat, before: str) -> Q:
    """`before` is a message id of this chat, an ISO timestamp or (v1) a timestamp in milliseconds
    since the epoch: strictly older messages."""
    if before.isdigit():
        try:
            return Q(created_at__lt=datetime.fromtimestamp(int(before) / 1000, tz=UTC))
        except (OverflowError, OSError, ValueError):
            raise InvalidInput(fields={"before": ["Fecha fuera de rango."]}) from None
    try:
        message_id = UUID(before)
    except ValueError:
        pass
    else:
        anchor = Message.objects.filter(chat=chat, pk=message_id).values("created_at", "pk").first()
        if anchor is None:
            raise InvalidInput(fields={"before": ["No hay un mensaje con ese id en este chat."]})
        return Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], pk__lt=anchor["pk"])
    try:
        moment = datetime.fromisoformat(before.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(fields={"before": ["Usá el id de un mensaje o una fecha ISO 8601."]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Q(created_at__lt=moment)


def messages_page(chat: Chat, *, limit: int, before: str | None) -> list[Message]:
    """Newest first; the next page is `before=<id of the last message returned>`."""
    messages: QuerySet[Message] = Message.objects.filter(chat=chat)
    if before:
        messages = messages.filter(_cursor_filter(chat, before))
    return list(messages.order_by("-created_at", "-id")[:limit])


def newest_message(chat: Chat) -> Message | None:
    return Message.objects.filter(chat=chat).order_by("-created_at", "-id").first()


def standing_of(user_id: UUID) -> ChatStanding | None:
    return ChatStanding.objects.filter(user_id=user_id).first()
