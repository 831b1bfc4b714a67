"""Chats and their messages: opening the pair's chat, sending (with contact shielding), read marks.

Every write runs in one transaction on the marketplace database; its events are published inside it
(outbox) and its live pushes leave after the commit (services.realtime)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import Role, TokenClaims
from conectar.marketplace import shielding
from conectar.marketplace.contracts import ChatBannedError, ChatCreated, MessageKind, MessageSent
from conectar.marketplace.models import MESSAGE_MAX_LENGTH, Chat, Message, ReadState
from conectar.marketplace.selectors import chat as chat_selectors
from conectar.marketplace.selectors.contacts import unlocked_for_chat
from conectar.marketplace.services import bans, presence, realtime
from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.professionals import facade as professionals
from conectar.shared.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied

DB = alias_for("marketplace")
PREVIEW_LENGTH = 100


# --- opening a chat -------------------------------------------------------------------------------------


def _require_person(user_id: UUID, role: Role) -> None:
    """The other side exists, is active and has the role the chat needs; 404 otherwise (whether the
    account exists with another role is nobody's business)."""
    account = accounts.get_account(user_id=user_id)
    ok = account is not None and account.is_active and account.role == role
    if ok and role == Role.PROFESIONAL:
        ok = professionals.summary(usuario_id=user_id) is not None
    if not ok:
        raise NotFound(
            "No encontramos a ese profesional." if role == Role.PROFESIONAL else "No encontramos a ese cliente."
        )


def chat_open(*, cliente_id: UUID, profesional_id: UUID, opened_by: UUID) -> tuple[Chat, bool]:
    """The pair's one chat, created on first use. Idempotent and race-safe: the unique pair
    constraint decides, and the loser of a concurrent create reads the winner's chat."""
    with transaction.atomic(using=DB):
        chat, created = Chat.objects.get_or_create(cliente_id=cliente_id, profesional_id=profesional_id)
        if created:
            publish(
                ChatCreated(chat_id=chat.pk, cliente_id=cliente_id, profesional_id=profesional_id, created_by=opened_by)
            )
    return chat, created


def chat_open_as(*, caller_id: UUID, caller_role: str, other_id: UUID) -> tuple[Chat, bool]:
    """A client opens a chat with a professional, or a professional with a client."""
    if caller_role == Role.CLIENTE:
        _require_person(other_id, Role.PROFESIONAL)
        return chat_open(cliente_id=caller_id, profesional_id=other_id, opened_by=caller_id)
    if caller_role == Role.PROFESIONAL:
        _require_person(other_id, Role.CLIENTE)
        return chat_open(cliente_id=other_id, profesional_id=caller_id, opened_by=caller_id)
    raise PermissionDenied("Solo clientes y profesionales pueden abrir chats.")


# --- messages -----------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """1 to 2000 characters, not only blanks (the socket sends through here too)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(fields={"text": ["Escribí un mensaje."]})
    if len(text) > MESSAGE_MAX_LENGTH:
        raise InvalidInput(fields={"text": [f"El mensaje puede tener como máximo {MESSAGE_MAX_LENGTH} caracteres."]})
    return text


def _append(chat: Chat, *, sender_id: UUID | None, kind: MessageKind, text: str, masked: bool) -> Message:
    """Store a message in a chat locked by the caller. Times are strictly increasing per chat, so
    (under the lock) time order is commit order — read marks and cursors depend on it."""
    now = timezone.now()
    if chat.last_message_at is not None and now <= chat.last_message_at:
        now = chat.last_message_at + timedelta(microseconds=1)
    message = Message.objects.create(
        chat=chat, sender_id=sender_id, kind=kind, text=text, masked=masked, created_at=now
    )
    chat.last_message_at = now
    chat.save(update_fields=["last_message_at"])
    return message


def _announce(chat: Chat, message: Message) -> None:
    """MessageSent per recipient (inside the transaction) and the live push (after commit)."""
    recipients = chat.participants() if message.sender_id is None else (chat.other_than(message.sender_id),)
    for recipient in recipients:
        publish(
            MessageSent(
                chat_id=chat.pk,
                message_id=message.pk,
                sender_id=message.sender_id,
                recipient_id=recipient,
                kind=MessageKind(message.kind),
                preview=message.text[:PREVIEW_LENGTH],
                recipient_online=presence.is_online(chat_id=chat.pk, user_id=recipient),
            )
        )
    realtime.message_created(message)


# A number sent in pieces ("11 45", then "67 89 01") is read together with the sender's messages
# right before it: at most SPLIT_LOOKBACK of them, none older than SPLIT_WINDOW, and none before a
# message of anyone else. One indexed query of a few rows, only for a message that could continue
# a contact detail (digits, spelled numbers, e-mail words, a lone word): bounded and cheap.
SPLIT_LOOKBACK = 4
SPLIT_WINDOW = timedelta(minutes=10)


def _sender_run(chat: Chat, sender_id: UUID) -> list[str]:
    """The sender's consecutive text messages just before now in `chat`, oldest first (as stored)."""
    recent = (
        Message.objects.filter(chat=chat, created_at__gte=timezone.now() - SPLIT_WINDOW)
        .order_by("-created_at", "-id")
        .values_list("sender_id", "kind", "text")[:SPLIT_LOOKBACK]
    )
    run = []
    for author, kind, text in recent:
        if author != sender_id or kind != MessageKind.TEXTO:
            break
        run.append(text)
    return run[::-1]


def _shield(chat: Chat, sender_id: UUID, text: str) -> shielding.Shielded:
    if not shielding.may_continue(text):
        return shielding.shield(text)
    return shielding.shield_after(text, _sender_run(chat, sender_id))


def message_send(*, chat_id: UUID, sender_id: UUID, text: str) -> Message:
    """A participant writes in their chat (REST and socket alike). Contact details are masked until
    the pair has a paid trabajo; masking costs the sender an infraction; banned senders are refused."""
    text = clean_text(text)
    with transaction.atomic(using=DB):
        # One query locks the chat and answers "is the sender banned?" and "may contacts pass?"
        # (bench/chat: each separate round trip cost ~0.7 ms of the socket path's CPU).
        chat = (
            Chat.objects.select_for_update(of=("self",))
            .annotate(sender_banned=bans.banned(sender_id), contacts_unlocked=unlocked_for_chat())
            .filter(Q(cliente_id=sender_id) | Q(profesional_id=sender_id), pk=chat_id)
            .first()
        )
        if chat is None:
            raise NotFound("No encontramos ese chat.")
        if chat.sender_banned:
            raise ChatBannedError
        if chat.contacts_unlocked:
            shielded = shielding.Shielded(text=text, masked=False)
        else:
            shielded = _shield(chat, sender_id, text)
        message = _append(chat, sender_id=sender_id, kind=MessageKind.TEXTO, text=shielded.text, masked=shielded.masked)
        if shielded.masked:
            pieces = ", en varios mensajes" if shielded.across_messages else ""
            bans.infraction_record(
                user_id=sender_id,
                reason=f"Datos de contacto en el chat ({', '.join(shielded.kinds)}{pieces})",
                chat=chat,
                message=message,
            )
        _announce(chat, message)
    return message


def system_message_post(*, chat_id: UUID, text: str, kind: MessageKind = MessageKind.SISTEMA) -> Message:
    """The platform writes in a chat (oferta made, accepted, …): no sender, no shielding."""
    text = clean_text(text)
    with transaction.atomic(using=DB):
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if chat is None:
            raise NotFound("No encontramos ese chat.")
        message = _append(chat, sender_id=None, kind=kind, text=text, masked=False)
        _announce(chat, message)
    return message


def oferta_message_post(*, chat: Chat, oferta_id: UUID, sender_id: UUID, text: str) -> Message:
    """The `oferta` message presenting a new oferta, from its professional, in a chat the caller
    has locked (the oferta's own transaction)."""
    message = _append(chat, sender_id=sender_id, kind=MessageKind.OFERTA, text=text, masked=False)
    if message.oferta_id != oferta_id:
        message.oferta_id = oferta_id
        message.save(update_fields=["oferta_id"])
    _announce(chat, message)
    return message


# --- read marks ---------------------------------------------------------------------------------------------


def chat_mark_read(*, chat_id: UUID, user_id: UUID) -> ReadState:
    """Everything in the chat up to its newest message is read by `user_id`. Marks only move forward;
    when one moves, both sides get the receipt."""
    with transaction.atomic(using=DB):
        chat = chat_selectors.chat_for_participant(chat_id, user_id)
        state, _ = ReadState.objects.select_for_update().get_or_create(
            chat=chat, user_id=user_id, defaults={"last_read_at": chat_selectors.EPOCH}
        )
        newest = chat_selectors.newest_message(chat)
        if newest is not None and newest.created_at > state.last_read_at:
            state.last_read_message = newest
            state.last_read_at = newest.created_at
            state.save(update_fields=["last_read_message", "last_read_at"])
            realtime.messages_read(state)
    return state


def socket_claims(token: str) -> TokenClaims | None:
    """The chat socket's caller (checked at connect and again on every send, so a logout, password
    change or ban closes an open socket too); None for a token auth_ctx no longer accepts."""
    try:
        return accounts.validate_access_token(token=token)
    except NotAuthenticated:
        return None
