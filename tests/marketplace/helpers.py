"""People and chats made through the real routes, as the frontend makes them."""

from __future__ import annotations

from dataclasses import dataclass

from conectar.users import facade as users
from tests.support import professionals
from tests.support.accounts import Session, signed_up
from tests.support.events import deliver_outbox
from tests.support.professionals import Pro
from tests.support.waiting import wait_until

JSON = "application/json"


@dataclass
class Pair:
    cliente: Session
    pro: Pro
    chat_id: str


# The registration event makes the users profile (the display name) and, for a PROFESIONAL, the
# professional; with a real worker running it may deliver it before the test does, so wait.


def _profile_ready(session: Session) -> None:
    deliver_outbox()
    wait_until(lambda: users.get_profile(user_id=session.user_id), message="the users profile")


def new_client(client, *, nombre="Ana", apellido="García") -> Session:
    session = signed_up(client, nombre=nombre, apellido=apellido)
    _profile_ready(session)
    return session


def new_professional(client, *, nombre="Pedro", apellido="Gómez") -> Pro:
    pro = professionals.new_professional(client, nombre=nombre, apellido=apellido)
    _profile_ready(pro.session)
    return pro


def open_chat(client, cliente: Session, pro: Pro):
    return client.post(
        "/api/v1/chat/create", {"profesional_id": pro.session.user_id}, content_type=JSON, headers=cliente.headers
    )


def new_pair(client, **pro_names) -> Pair:
    cliente = new_client(client)
    pro = new_professional(client, **pro_names)
    response = open_chat(client, cliente, pro)
    assert response.status_code == 201, response.content
    return Pair(cliente, pro, response.json()["id"])


def send(client, who, chat_id: str, text: str):
    return client.post(f"/api/v1/chat/{chat_id}/message", {"text": text}, content_type=JSON, headers=who.headers)


def messages(client, who, chat_id: str, **params):
    return client.get(f"/api/v1/chat/messages/{chat_id}", params, headers=who.headers)
