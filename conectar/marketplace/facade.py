"""PUBLIC: the functions other contexts and the gateway call. Keyword-only arguments,
DTOs from contracts.py in and out, never models or querysets."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from conectar.marketplace.contracts import Actor, ChatDTO, ChatStandingDTO, MessageDTO, TrabajoDTO
from conectar.platform.lifting.facades import Facade
from conectar.shared.errors import NotFound

context = Facade("marketplace")
if context.runs_here:  # the internals exist only where marketplace runs
    from conectar.marketplace.selectors import chat as chat_selectors
    from conectar.marketplace.selectors import ofertas as oferta_selectors
    from conectar.marketplace.selectors import standing as standing_selectors
    from conectar.marketplace.selectors import trabajos as trabajo_selectors
    from conectar.marketplace.services import chat as chat_services
    from conectar.marketplace.services import ofertas as oferta_services
    from conectar.marketplace.services import resenas as resena_services
    from conectar.marketplace.services import trabajos as trabajo_services
    from conectar.marketplace.workflow import Action


@context.function(idempotent=True)
def chat_standing(*, user_id: UUID) -> ChatStandingDTO:
    """The user's chat infractions (since the last lift) and chat ban, as their account shows them."""
    return standing_selectors.standings_of([user_id])[user_id]


@context.function(idempotent=True)
def chat_standings(*, user_ids: list[UUID]) -> dict[UUID, ChatStandingDTO]:
    """`chat_standing` for many users at once (lists of accounts), keyed by user id."""
    return standing_selectors.standings_of(list(user_ids))


@context.function(idempotent=True)
def chat_between(*, cliente_id: UUID, profesional_id: UUID) -> ChatDTO | None:
    """The pair's chat, if they have one (the oferta part checks an oferta's chat with this)."""
    chat = chat_selectors.chat_between(cliente_id, profesional_id)
    return chat_selectors.to_chat_dto(chat) if chat else None


@context.function(idempotent=True)
def open_chat(*, cliente_id: UUID, profesional_id: UUID, opened_by: UUID) -> ChatDTO:
    """The pair's one chat, created if needed (no role checks: the caller vouches for the pair)."""
    chat, _ = chat_services.chat_open(cliente_id=cliente_id, profesional_id=profesional_id, opened_by=opened_by)
    return chat_selectors.to_chat_dto(chat)


@context.function(idempotent=False)
def post_system_message(*, chat_id: UUID, text: str) -> MessageDTO:
    """A `sistema` message in the chat (oferta made/accepted/rejected…), delivered and announced
    like any other. Joins the caller's transaction on the marketplace database if one is open."""
    return chat_selectors.to_message_dto(chat_services.system_message_post(chat_id=chat_id, text=text))


@context.function(idempotent=True)
def trabajo(*, trabajo_id: UUID) -> TrabajoDTO | None:
    """A trabajo's parties, state and price (payments' staff tools and the gateway's compositions)."""
    found = trabajo_selectors.trabajo_by_id(trabajo_id)
    return trabajo_selectors.to_dto(found) if found else None


# --- what people do, for a caller acting on their behalf (the gateway's demo data) -------------------
# The same services the routes run, so messages, ofertas, trabajos and reviews are what real use
# leaves: shielding, events, system messages, payments and notifications included.


@context.function(idempotent=False)
def send_message(*, chat_id: UUID, sender_id: UUID, text: str) -> MessageDTO:
    return chat_selectors.to_message_dto(chat_services.message_send(chat_id=chat_id, sender_id=sender_id, text=text))


@context.function(idempotent=False)
def make_oferta(
    *, profesional_id: UUID, cliente_id: UUID, chat_id: UUID, descripcion: str, precio_final: Decimal
) -> UUID:
    oferta = oferta_services.oferta_create(
        profesional_id=profesional_id,
        cliente_id=cliente_id,
        chat_id=chat_id,
        descripcion=descripcion,
        precio_final=precio_final,
    )
    return oferta.pk


@context.function(idempotent=False)
def accept_oferta(*, oferta_id: UUID, cliente_id: UUID) -> UUID:
    """The client accepts (checkout included, like the route); the trabajo's id."""
    return oferta_services.oferta_accept(oferta_id=oferta_id, cliente_id=cliente_id).trabajo.pk


@context.function(idempotent=False)
def reject_oferta(*, oferta_id: UUID, cliente_id: UUID) -> None:
    oferta_services.oferta_reject(oferta_id=oferta_id, cliente_id=cliente_id)


@context.function(idempotent=False)
def withdraw_oferta(*, oferta_id: UUID, profesional_id: UUID) -> None:
    oferta_services.oferta_withdraw(oferta_id=oferta_id, profesional_id=profesional_id)


@context.function(idempotent=True)
def oferta_states(*, chat_id: UUID) -> list[str]:
    """The state of every oferta made in the chat."""
    return oferta_selectors.states_in_chat(chat_id)


@context.function(idempotent=True)
def expire_due_ofertas() -> int:
    """What beat does: every open oferta past its deadline becomes EXPIRADO."""
    return oferta_services.ofertas_expire_due()


@context.function(idempotent=False)
def act_on_trabajo(*, trabajo_id: UUID, action: str, actor_id: UUID, motivo: str = "") -> TrabajoDTO:
    """A participant's action on their trabajo (`entregar`, `finalizar`, `cancelar`,
    `abrir_disputa`), through the same transition table as the routes."""
    found = trabajo_selectors.trabajo_by_id(trabajo_id)
    if found is None or actor_id not in (found.cliente_id, found.profesional_id):
        raise NotFound("No encontramos ese trabajo.")
    actor = Actor.CLIENTE if actor_id == found.cliente_id else Actor.PROFESIONAL
    done = trabajo_services.apply(
        trabajo_id=trabajo_id, action=Action(action), actor=actor, actor_id=actor_id, motivo=motivo
    )
    return trabajo_selectors.to_dto(done)


@context.function(idempotent=False)
def review_trabajo(*, trabajo_id: UUID, autor_id: UUID, rating: int, texto: str) -> None:
    resena_services.resena_create(trabajo_id=trabajo_id, autor_id=autor_id, rating=rating, texto=texto)
