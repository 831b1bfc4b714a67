"""Chat routes (API.md § marketplace): open the pair's chat, list my chats, send, page messages,
read marks and unread counts. Seed and v1 paths share the logic; where v1's shape differs from this
project's (V1-CONTRACT § 3.11: the chat list is `{chats, total_unread}` on /chat/my-chats, mark-read is
204) the v1 path answers v1's shape and the seed path keeps its own. Chats and messages carry v1's
ChatRead / MessageRead keys plus this project's."""

from __future__ import annotations

from uuid import UUID

from ninja import Query, Router, Schema, Status
from pydantic import Field

from conectar.marketplace.http.bodies import chat_body, chat_read_body, message_read_body, people
from conectar.marketplace.models import MESSAGE_MAX_LENGTH
from conectar.marketplace.selectors import chat as chat_selectors
from conectar.marketplace.services import chat as chat_services
from conectar.platform.auth import AccessTokenBearer, RoleBearer
from conectar.shared.errors import InvalidInput

CLIENTE, PROFESIONAL = "CLIENTE", "PROFESIONAL"
participants = RoleBearer(CLIENTE, PROFESIONAL)

router = Router(tags=["chat"], auth=participants)


class ChatCreateIn(Schema):
    profesional_id: UUID | None = None  # from a CLIENTE
    cliente_id: UUID | None = None  # from a PROFESIONAL


class TextIn(Schema):
    text: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH)


class SendIn(TextIn):
    chat_id: UUID


class ChatListQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    page: int = Field(default=1, ge=1, le=10_000)


class MessagesQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    before: str | None = Field(default=None, max_length=64)  # a message id, an ISO timestamp or v1's ms


@router.post("/chat/create", response={200: dict, 201: dict}, summary="The pair's one chat (created on first use)")
def chat_create(request, payload: ChatCreateIn):
    me = request.auth
    field = "profesional_id" if me.role == CLIENTE else "cliente_id"
    other_id = getattr(payload, field)
    if other_id is None:
        raise InvalidInput(fields={field: ["Este campo es obligatorio."]})
    chat, created = chat_services.chat_open_as(caller_id=me.user_id, caller_role=me.role, other_id=other_id)
    body = chat_read_body(
        chat,
        viewer_id=me.user_id,
        known=people([chat.cliente_id, chat.profesional_id]),
        last_message=chat_selectors.newest_message(chat),
        unread=chat_selectors.unread_in(chat, me.user_id),
    )
    return Status(201 if created else 200, body)


@router.get("/chat/list", response=list[dict], operation_id="chat_list", summary="My chats, newest activity first")
def chat_list(request, query: Query[ChatListQuery]):
    me = request.auth.user_id
    rows = chat_selectors.chats_of(me, limit=query.limit, offset=(query.page - 1) * query.limit)
    known = people(row.other_id for row in rows)
    return [
        chat_body(row.chat, viewer_id=me, known=known, last_message=row.last_message, unread=row.unread) for row in rows
    ]


@router.get(
    "/chat/my-chats",
    response=dict,
    operation_id="chat_my_chats",
    summary="My chats (v1): {chats: ChatRead[], total_unread}",
)
def chat_my_chats(request, query: Query[ChatListQuery]):
    me = request.auth.user_id
    rows = chat_selectors.chats_of(me, limit=query.limit, offset=(query.page - 1) * query.limit)
    known = people([me, *(row.other_id for row in rows)])
    chats = [
        chat_read_body(row.chat, viewer_id=me, known=known, last_message=row.last_message, unread=row.unread)
        for row in rows
    ]
    total_unread, _ = chat_selectors.unread_total(me)
    return {"chats": chats, "total_unread": total_unread}


def _sent(chat_id: UUID, sender_id: UUID, text: str) -> Status:
    message = chat_services.message_send(chat_id=chat_id, sender_id=sender_id, text=text)
    return Status(201, message_read_body(message, known=people([sender_id]), read=False))  # nobody else saw it yet


@router.post("/chat/{chat_id}/message", response={201: dict}, operation_id="chat_message_post", summary="Send")
def message_post(request, chat_id: UUID, payload: TextIn):
    return _sent(chat_id, request.auth.user_id, payload.text)


@router.post("/chat/send-message", response={201: dict}, operation_id="chat_send_message", summary="Send (v1)")
def send_message(request, payload: SendIn):
    return _sent(payload.chat_id, request.auth.user_id, payload.text)


@router.get(
    "/chat/messages/{chat_id}",
    response=list[dict],
    auth=AccessTokenBearer(),
    summary="Messages, newest first; next page with before=<id of the last one>",
)
def messages_list(request, chat_id: UUID, query: Query[MessagesQuery]):
    me = request.auth
    chat = chat_selectors.chat_for_reader(chat_id, me.user_id, is_staff=me.is_staff or me.role == "ADMIN")
    page = chat_selectors.messages_page(chat, limit=query.limit, before=query.before)
    known = people([chat.cliente_id, chat.profesional_id])
    read = chat_selectors.read_by_recipients(chat, page)
    return [message_read_body(m, known=known, read=read[m.pk]) for m in page]


@router.post(
    "/chat/mark-read/{chat_id}",
    response={204: None},
    summary="Read receipt: all read up to the newest message (204; the receipt goes to both sides' sockets)",
)
def mark_read(request, chat_id: UUID):
    chat_services.chat_mark_read(chat_id=chat_id, user_id=request.auth.user_id)
    return Status(204, None)


@router.get("/chat/unread-count", response=dict, summary="Unread messages over all my chats")
def unread_count(request):
    messages, chats = chat_selectors.unread_total(request.auth.user_id)
    return {"unread_count": messages, "chats_with_unread": chats}
