"""A contact detail spread over consecutive messages of one sender (issue 16): the piece that completes
it is stored masked and costs an infraction, counted and banned exactly as a whole one is."""

from uuid import UUID

import pytest

from conectar.marketplace import facade
from conectar.marketplace.models import ChatInfraction
from conectar.marketplace.shielding import MASK
from tests.marketplace.helpers import messages, new_pair, send

pytestmark = pytest.mark.django_db(databases="__all__")


def sent(client, who, chat_id, text) -> dict:
    response = send(client, who, chat_id, text)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_number_sent_in_two_messages_is_masked_in_the_second(client):
    pair = new_pair(client)

    first = sent(client, pair.pro, pair.chat_id, "11 45")
    second = sent(client, pair.pro, pair.chat_id, "67 89 01")

    assert (first["text"], first["masked"]) == ("11 45", False)
    assert (second["text"], second["masked"]) == (MASK, True)
    stored = [m["text"] for m in messages(client, pair.cliente, pair.chat_id).json()]
    assert "67 89 01" not in stored
    standing = facade.chat_standing(user_id=UUID(pair.pro.session.user_id))
    assert (standing.infracciones, standing.is_banned) == (1, False)
    [record] = ChatInfraction.objects.filter(standing_id=pair.pro.session.user_id)
    assert record.reason == "Datos de contacto en el chat (phone, en varios mensajes)"
    assert str(record.message_id) == second["id"]


def test_unicode_pieces_are_joined_too(client):
    pair = new_pair(client)
    sent(client, pair.pro, pair.chat_id, "mi cel: １１ ４５")  # noqa: RUF001 - full-width digits

    assert sent(client, pair.pro, pair.chat_id, "6️⃣7️⃣ 8️⃣9️⃣ 0️⃣1️⃣")["text"] == MASK


def test_the_other_persons_reply_in_between_keeps_the_pieces_apart(client):
    pair = new_pair(client)
    sent(client, pair.pro, pair.chat_id, "11 45")
    sent(client, pair.cliente, pair.chat_id, "¿cuántas horas son?")

    reply = sent(client, pair.pro, pair.chat_id, "67 89 01")

    assert (reply["text"], reply["masked"]) == ("67 89 01", False)
    assert facade.chat_standing(user_id=UUID(pair.pro.session.user_id)).infracciones == 0


def test_innocent_consecutive_messages_cost_nothing(client):
    pair = new_pair(client)
    texts = ["te cobro $15.000", "11 hs estoy ahí", "Av. Corrientes 1234", "piso 5 depto 8", "paso el 12/03/2024"]

    stored = [sent(client, pair.pro, pair.chat_id, text)["text"] for text in texts]

    assert stored == texts
    assert facade.chat_standing(user_id=UUID(pair.pro.session.user_id)).infracciones == 0


def test_three_numbers_in_pieces_ban_the_sender_like_three_whole_ones(client):
    pair = new_pair(client)
    for start, end in [
        ("11 45", "67 89 01"),
        ("once cuatro cinco", "seis siete ocho nueve"),
        ("fulano arroba", "gmail"),
    ]:
        sent(client, pair.pro, pair.chat_id, start)
        assert sent(client, pair.pro, pair.chat_id, end)["masked"] is True

    refused = send(client, pair.pro, pair.chat_id, "¿seguimos?")

    assert refused.status_code == 403
    assert refused.json()["code"] == "chat_banned"
    standing = facade.chat_standing(user_id=UUID(pair.pro.session.user_id))
    assert (standing.infracciones, standing.is_banned) == (3, True)
