"""Chats and their messages: opening the pair's chat, sending (with contact shielding), read marks.

Every write runs in one transaction on the marketplace database; its events are published inside it
(outbox) and its live pushes leave after the commit (services.realtime)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from uuid import UUID

from django.db import connections, transaction
from django.db.models import OuterRef
from django.db.models.expressions import RawSQL
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
from conectar.platform.events import publish, publish_many
from conectar.professionals import facade as professionals
from conectar.shared.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, PermissionDenied

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
    message = Message.objects.create(
        chat=chat, sender_id=sender_id, kind=kind, text=text, masked=masked, created_at=_next_time(chat)
    )
    chat.save(update_fields=["last_message_at"])
    return message


def _next_time(chat: Chat) -> datetime:
    """The next message's time in a chat locked by the caller (strictly after the last one), kept
    on `chat.last_message_at` for the caller to save."""
    now = timezone.now()
    if chat.last_message_at is not None and now <= chat.last_message_at:
        now = chat.last_message_at + timedelta(microseconds=1)
    chat.last_message_at = now
    return now


def _announce(chat: Chat, message: Message) -> None:
    """MessageSent per recipient (inside the transaction) and the live push (after commit)."""
    _announce_many({chat.pk: chat}, [message])
    realtime.message_created(message)


def _recipients(chat: Chat, message: Message) -> tuple[UUID, ...]:
    return chat.participants() if message.sender_id is None else (chat.other_than(message.sender_id),)


def _announce_many(chats: dict[UUID, Chat], messages: list[Message]) -> None:
    """MessageSent per recipient of each message, inside the transaction; presence is asked once
    for all of them (one Redis round trip)."""
    recipients = [
        (m, r)
        for m in messages
        for r in (
            chats[m.chat_id].participants() if m.sender_id is None else (chats[m.chat_id].other_than(m.sender_id),)
        )
    ]
    online = presence.online_many([(m.chat_id, r) for m, r in recipients])
    publish_many(
        [
            MessageSent(
                chat_id=m.chat_id,
                message_id=m.pk,
                sender_id=m.sender_id,
                recipient_id=r,
                kind=MessageKind(m.kind),
                preview=m.text[:PREVIEW_LENGTH],
                recipient_online=is_online,
            )
            for (m, r), is_online in zip(recipients, online, strict=True)
        ]
    )


# A number sent in pieces ("11 45", then "67 89 01") is read together with the sender's messages
# right before it: at most SPLIT_LOOKBACK of them, none older than SPLIT_WINDOW, and none before a
# message of anyone else. One indexed query of a few rows, only for a message that could continue
# a contact detail (digits, spelled numbers, e-mail words, a lone word): bounded and cheap.
SPLIT_LOOKBACK = 4
SPLIT_WINDOW = timedelta(minutes=10)


def _recent(chat: Chat, *, besides: Sequence[Message] = ()) -> list[Message]:
    """The chat's newest stored messages (but `besides`) that a sender's run could reach, newest first."""
    since = timezone.now() - SPLIT_WINDOW
    rows = Message.objects.filter(chat=chat, created_at__gte=since).exclude(pk__in=[m.pk for m in besides])
    return list(rows.order_by("-created_at", "-id")[:SPLIT_LOOKBACK])


def _run_of(newest_first: list[Message], sender_id: UUID) -> list[str]:
    """The sender's consecutive text messages at the head of `newest_first`, oldest first (as stored)."""
    run = []
    for message in newest_first:
        if message.sender_id != sender_id or message.kind != MessageKind.TEXTO:
            break
        run.append(message.text)
    return run[::-1]


@dataclass(frozen=True)
class Outgoing:
    """One message a participant sends (a REST call or a socket frame)."""

    chat_id: UUID
    sender_id: UUID
    text: str
    client_id: UUID | None = None  # the sender's id for it: sent again, it is stored once


def clean_client_id(client_id) -> UUID | None:
    """A socket frame's optional `client_id`: a UUID the client made for the message."""
    if client_id is None:
        return None
    try:
        return UUID(str(client_id))
    except ValueError:
        raise InvalidInput(fields={"client_id": ["Debe ser un UUID."]}) from None


class _Batch:
    """What one batch learned under its locks, and the messages it is adding, per chat in order."""

    def __init__(self, chats: dict[UUID, Chat], banned: set[UUID], known: dict[tuple, Message]):
        self.chats, self.banned = chats, banned
        self.known = known  # (chat, sender, client id) -> the message already stored under it
        self.added: dict[UUID, list[Message]] = {}  # per chat, oldest first
        self.unsaved: list[Message] = []
        self.stored_before: dict[UUID, list[Message]] = {}  # per chat: its newest rows before the batch

    def sender_run(self, chat: Chat, sender_id: UUID) -> list[str]:
        """_sender_run over the stored rows and this batch's own earlier messages together."""
        if chat.pk not in self.stored_before:
            # rows this batch flushed already (an infraction's) are in `added`, not "before"
            self.stored_before[chat.pk] = _recent(chat, besides=self.added.get(chat.pk, []))
        newest_first = [*reversed(self.added.get(chat.pk, [])), *self.stored_before[chat.pk]]
        return _run_of(newest_first[:SPLIT_LOOKBACK], sender_id)

    def flush(self) -> None:
        Message.objects.bulk_create(self.unsaved)
        self.unsaved = []


def messages_send(batch: Sequence[Outgoing]) -> list[Message | DomainError]:
    """Store many participants' messages in one transaction, each as `message_send` would (order of
    `batch` kept within each chat), or the error refusing it; an error refuses that message only.

    One round trip each: lock every chat of the batch (in primary-key order, so two batches cannot
    deadlock) reading which of their people are banned and whose contacts may pass; insert the
    messages; insert their MessageSent events; move the chats' last_message_at. So the socket path's
    cost per message falls with the batch (bench/chat). Live pushes are left to the caller
    (`realtime.message_created`, or the socket writer from its event loop)."""
    results: list[Message | DomainError | None] = [None] * len(batch)
    for i, item in enumerate(batch):
        try:
            clean_text(item.text)
        except DomainError as exc:
            results[i] = exc
    wanted = [(i, item) for i, item in enumerate(batch) if results[i] is None]
    if not wanted:
        return results
    with transaction.atomic(using=DB):
        # Who may write is read under the chats' locks: a ban or a payment committed before them counts.
        chats = _locked_chats({item.chat_id for _, item in wanted})
        banned = {c.cliente_id for c in chats.values() if c.cliente_banned}
        banned |= {c.profesional_id for c in chats.values() if c.profesional_banned}
        state = _Batch(chats, banned, _known(wanted))
        for i, item in wanted:
            try:
                results[i] = _add(state, item)
            except DomainError as exc:
                results[i] = exc
        state.flush()
        stored = [m for m in results if isinstance(m, Message) and not m.again]
        touched = {m.chat_id: state.chats[m.chat_id] for m in stored}
        _save_last_message_at(touched.values())
        _announce_many(touched, stored)
    return results


_IDS = object()  # where the locking statement takes the batch's chat ids


@cache
def _locking_statement() -> tuple[str, tuple]:
    """The batch's chats, locked in primary-key order (so two batches cannot deadlock), with whether
    each pair's contacts may pass and which of its people are banned: compiled by the ORM once per
    process (building it again for every batch cost more CPU than the rest of the batch: bench/chat).
    Compiled inside the first batch's transaction, as select_for_update requires."""
    query = (
        Chat.objects.select_for_update(of=("self",))
        .annotate(
            contacts_unlocked=unlocked_for_chat(),
            cliente_banned=bans.banned(OuterRef("cliente_id")),
            profesional_banned=bans.banned(OuterRef("profesional_id")),
        )
        .filter(pk__in=RawSQL("SELECT unnest(%s::uuid[])", (_IDS,)))
        .order_by("pk")
    )
    return query.query.get_compiler(DB).as_sql()


def _locked_chats(ids: set[UUID]) -> dict[UUID, Chat]:
    sql, params = _locking_statement()
    rows = Chat.objects.raw(sql, [list(ids) if p is _IDS else p for p in params], using=DB)
    return {chat.pk: chat for chat in rows}


def _save_last_message_at(chats) -> None:
    """The chats' new last_message_at in one statement (bulk_update's CASE per row cost the socket
    path more CPU to build than the rest of the batch's queries: bench/chat)."""
    chats = list(chats)
    if not chats:
        return
    with connections[DB].cursor() as cursor:
        cursor.execute(
            "UPDATE marketplace_chat AS chat SET last_message_at = moved.at"
            " FROM unnest(%s::uuid[], %s::timestamptz[]) AS moved(id, at) WHERE chat.id = moved.id",
            [[c.pk for c in chats], [c.last_message_at for c in chats]],
        )


def _known(wanted: list[tuple[int, Outgoing]]) -> dict[tuple, Message]:
    """The batch's client ids already stored (read under the chats' locks, so no other batch can
    store one meanwhile); one query, only when the batch carries client ids."""
    ids = {item.client_id for _, item in wanted if item.client_id is not None}
    if not ids:
        return {}
    rows = Message.objects.filter(chat_id__in={item.chat_id for _, item in wanted}, client_id__in=ids)
    return {(m.chat_id, m.sender_id, m.client_id): _again(m) for m in rows}


def _again(message: Message) -> Message:
    message.again = True  # what a client id sent again gets back: stored before, not announced again
    return message


def _add(state: _Batch, item: Outgoing) -> Message:
    chat = state.chats.get(item.chat_id)
    if chat is None or item.sender_id not in chat.participants():
        raise NotFound("No encontramos ese chat.")
    key = (chat.pk, item.sender_id, item.client_id)
    if item.client_id is not None and key in state.known:
        return state.known[key]
    if item.sender_id in state.banned:
        raise ChatBannedError
    if chat.contacts_unlocked:
        shielded = shielding.Shielded(text=item.text, masked=False)
    elif shielding.may_continue(item.text):
        shielded = shielding.shield_after(item.text, state.sender_run(chat, item.sender_id))
    else:
        shielded = shielding.shield(item.text)
    message = Message(
        chat=chat,
        sender_id=item.sender_id,
        kind=MessageKind.TEXTO,
        text=shielded.text,
        masked=shielded.masked,
        created_at=_next_time(chat),
        client_id=item.client_id,
    )
    message.again = False
    if item.client_id is not None:
        state.known[key] = _again(copy.copy(message))
    state.added.setdefault(chat.pk, []).append(message)
    state.unsaved.append(message)
    if shielded.masked:
        state.flush()  # the infraction's record points at the row
        pieces = ", en varios mensajes" if shielded.across_messages else ""
        standing = bans.infraction_record(
            user_id=item.sender_id,
            reason=f"Datos de contacto en el chat ({', '.join(shielded.kinds)}{pieces})",
            chat=chat,
            message=message,
        )
        if standing.is_banned:
            state.banned.add(item.sender_id)  # the ban refuses the sender's next messages in this batch too
    return message


def message_send(*, chat_id: UUID, sender_id: UUID, text: str) -> Message:
    """A participant writes in their chat (REST and socket alike: the socket batches through
    `messages_send`). Contact details are masked until the pair has a paid trabajo; masking costs
    the sender an infraction; banned senders are refused."""
    with transaction.atomic(using=DB):
        [result] = messages_send([Outgoing(chat_id=chat_id, sender_id=sender_id, text=text)])
        if isinstance(result, DomainError):
            raise result
        realtime.message_created(result)
    return result


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
    """The chat socket's caller (checked at connect, and again on revocation events; each frame's
    token is checked with its batch, socket_access.refusals); None for a token auth_ctx no longer
    accepts."""
    try:
        return accounts.validate_access_token(token=token)
    except NotAuthenticated:
        return None
