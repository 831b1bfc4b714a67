"""Ninja's answers are written by orjson with exactly the values Django's encoder gives."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from conectar.platform.json_renderer import dumps
from conectar.professionals.contracts import Nivel


class Card(Schema):
    nombre: str
    creado: dt.datetime


UTC_INSTANT = dt.datetime(2026, 12, 5, 14, 3, 7, 123456, tzinfo=dt.UTC)
BUENOS_AIRES = dt.timezone(dt.timedelta(hours=-3))

VALUES = {
    "aware datetime, UTC": UTC_INSTANT,
    "aware datetime, -03:00": UTC_INSTANT.astimezone(BUENOS_AIRES),
    "whole seconds": UTC_INSTANT.replace(microsecond=0),
    "date": dt.date(2026, 12, 5),
    "time": dt.time(9, 30, 0, 250000),
    "timedelta": dt.timedelta(hours=2, minutes=5),
    "money": Decimal("15000.00"),
    "uuid": uuid.UUID("0b8a2d3e-8a5e-4c7e-9d0f-2b1f8f0c1a2b"),
    "non-ASCII text": "Técnico en calefacción, Ñandú — 👷",
    "str enum": next(iter(Nivel)),
    "pydantic model with a datetime": Card(nombre="Plomería", creado=UTC_INSTANT),
    "lazy translation": gettext_lazy("Spanish"),
    "non-string keys": {1: "uno", 2.5: "dos y medio", False: "no", None: "nada"},
    "floats": [0.1, 4.37, 1e-05, 1e16, -0.0, 123456789.125],
    "nested": {"items": [{"id": uuid.UUID(int=7), "at": UTC_INSTANT, "monto": Decimal("1.50")}], "next": None},
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_every_value_reads_back_as_djangos_encoder_wrote_it(value):
    assert json.loads(dumps(value)) == json.loads(json.dumps(value, cls=NinjaJSONEncoder))


def test_datetimes_keep_djangos_form_milliseconds_and_z():
    assert dumps({"at": UTC_INSTANT}) == b'{"at":"2026-12-05T14:03:07.123Z"}'


def test_text_is_utf8_not_escaped():
    assert dumps("Técnico") == '"Técnico"'.encode()


@pytest.mark.django_db(databases="__all__")
def test_the_api_answers_through_it(client):
    """A Ninja route's body comes out compact and in UTF-8, as only this renderer writes it."""
    response = client.get("/api/v1/public/oficios")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert b'": ' not in response.content
    assert "Técnico".encode() in response.content  # the seeded catalogue has "Técnico en ..." oficios
    assert response.json() == json.loads(response.content.decode())
