"""The one contract codec: every kind of value a facade or an event carries survives the wire, and
data that does not fit its type is refused rather than guessed."""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from conectar.shared.codec import DecodeError, decode, encode


class Color(enum.StrEnum):
    ROJO = "ROJO"
    AZUL = "AZUL"


@dataclass(frozen=True)
class Inner:
    id: uuid.UUID
    amount: Decimal
    at: datetime | None


@dataclass(frozen=True)
class Outer:
    color: Color
    items: tuple[Inner, ...]
    by_id: dict[uuid.UUID, Inner]
    tags: list[str]
    blob: bytes
    day: date
    note: str | None = None


def _wire(value):
    return json.loads(json.dumps(encode(value)))  # what really travels: JSON text


def test_nested_dataclasses_round_trip_through_json():
    first = Inner(uuid.uuid4(), Decimal("1234.50"), datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    second = Inner(uuid.uuid4(), Decimal("0.01"), None)
    value = Outer(
        color=Color.AZUL,
        items=(first, second),
        by_id={first.id: first, second.id: second},
        tags=["a", "b"],
        blob=b"\x00\xffbinary",
        day=date(2026, 12, 3),
    )
    assert decode(Outer, _wire(value)) == value


def test_money_keeps_its_scale_and_never_travels_as_a_float():
    assert encode(Decimal("10.50")) == "10.50"
    assert decode(Decimal, "10.50") == Decimal("10.50")
    assert str(decode(Decimal, "10.50")) == "10.50"
    with pytest.raises(DecodeError):
        decode(Decimal, 10.5)


@pytest.mark.parametrize(
    ("hint", "value"),
    [
        (tuple[Inner, bool], (Inner(uuid.uuid4(), Decimal("1"), None), True)),
        (list[tuple[str, bool]], [("x", True), ("y", False)]),
        (Sequence[bytes], [b"one", b"two"]),
        (dict, {"free": ["json", 1, None]}),
        (int | None, None),
        (Color | None, Color.ROJO),
    ],
)
def test_containers_and_optionals(hint, value):
    assert decode(hint, _wire(value)) == value


@pytest.mark.parametrize(
    ("hint", "data"),
    [
        (Inner, {"id": str(uuid.uuid4()), "amount": "1", "at": None, "extra": 1} | {"id": None}),
        (int, "3"),
        (str, None),
        (tuple[int, int], [1]),
        (list[int], {"not": "a list"}),
        (Color, "VERDE"),
    ],
)
def test_data_that_does_not_fit_is_refused(hint, data):
    with pytest.raises((DecodeError, ValueError)):
        decode(hint, data)


def test_an_unknown_type_is_not_silently_stringified():
    with pytest.raises(TypeError):
        encode(object())
