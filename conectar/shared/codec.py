"""The one JSON codec of contract values: domain events on the bus and facade calls between
processes both go through it, so a DTO means the same thing on every wire.

`encode(value)` gives JSON-safe data; `decode(hint, data)` rebuilds the value the type hint
describes. Supported: None, bool, int, float, str, UUID, Decimal (as a string: no binary floats for
money), datetime and date (ISO-8601), enums (their value), bytes (base64), dataclasses (nested, by
field), list / tuple (homogeneous `tuple[T, ...]` or fixed `tuple[A, B]`) / set / frozenset /
Sequence, dict (keys typed too: `dict[UUID, DTO]` keys travel as strings), `X | None` and unions of
dataclasses, `Any` and bare `dict` (passed through: plain JSON). Standard library only.
"""

from __future__ import annotations

import base64
import collections.abc
import dataclasses
import enum
import types
import typing
import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any


class DecodeError(ValueError):
    """The data does not fit the type it was decoded as."""


def encode(value: Any) -> Any:  # noqa: PLR0911 - one branch per supported type
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple | frozenset | set):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {_key(k): encode(v) for k, v in value.items()}
    raise TypeError(f"cannot encode {type(value).__name__} as a contract value")


def _key(key: Any) -> str:
    encoded = encode(key)
    return encoded if isinstance(encoded, str) else str(encoded)


@lru_cache(maxsize=512)
def hints_of(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(hint: Any, data: Any) -> Any:  # noqa: PLR0911 - one branch per supported type
    if hint is Any or hint is typing.Any:
        return data
    if data is None:
        if _allows_none(hint):
            return None
        raise DecodeError(f"null where {hint!r} is expected")
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _decode_union(hint, data)
    if origin is typing.Literal:
        if data not in typing.get_args(hint):
            raise DecodeError(f"{data!r} is not one of {typing.get_args(hint)}")
        return data
    if origin is dict or hint is dict:
        if not isinstance(data, dict):
            raise DecodeError(f"expected an object, got {type(data).__name__}")
        args = typing.get_args(hint)
        if not args:
            return dict(data)
        key_hint, value_hint = args
        return {decode(key_hint, k): decode(value_hint, v) for k, v in data.items()}
    if origin is tuple:
        return _decode_tuple(hint, data)
    if origin in (list, set, frozenset, collections.abc.Sequence) or hint in (list, tuple):
        if not isinstance(data, list):
            raise DecodeError(f"expected an array, got {type(data).__name__}")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        items = [decode(item, v) for v in data]
        return items if origin in (list, collections.abc.Sequence, None) else origin(items)
    return _decode_scalar(hint, data)


def _allows_none(hint: Any) -> bool:
    return hint is None or hint is type(None) or type(None) in typing.get_args(hint)


def _decode_union(hint: Any, data: Any) -> Any:
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(options) == 1:
        return decode(options[0], data)
    for option in options:  # e.g. DTO_A | DTO_B: the first whose shape fits
        try:
            return decode(option, data)
        except (DecodeError, TypeError, ValueError):
            continue
    raise DecodeError(f"{data!r} fits none of {options}")


def _decode_tuple(hint: Any, data: Any) -> tuple:
    if not isinstance(data, list):
        raise DecodeError(f"expected an array, got {type(data).__name__}")
    args = typing.get_args(hint)
    if args[-1:] == (Ellipsis,):  # tuple[T, ...]
        return tuple(decode(args[0], v) for v in data)
    if len(args) != len(data):
        raise DecodeError(f"expected {len(args)} items, got {len(data)}")
    return tuple(decode(a, v) for a, v in zip(args, data, strict=True))


def _decode_scalar(hint: Any, data: Any) -> Any:  # noqa: PLR0911 - one branch per supported type
    if dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            raise DecodeError(f"expected an object for {hint.__name__}, got {type(data).__name__}")
        hints = hints_of(hint)
        init = {f.name for f in dataclasses.fields(hint) if f.init}
        unknown = set(data) - set(hints)
        if unknown:  # a newer sender's extra field is fine to drop only if we cannot hold it
            data = {k: v for k, v in data.items() if k not in unknown}
        return hint(**{k: decode(hints[k], v) for k, v in data.items() if k in init})
    if hint is uuid.UUID:
        return uuid.UUID(str(data))
    if hint is Decimal:
        if isinstance(data, float):
            raise DecodeError("a Decimal travels as a string, never a binary float")
        return Decimal(str(data))
    if hint is datetime:
        return datetime.fromisoformat(data)
    if hint is date:
        return date.fromisoformat(data)
    if hint is bytes:
        return base64.b64decode(data, validate=True)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(hint, type) and hint in (bool, int, float, str) and not isinstance(data, hint):
        raise DecodeError(f"expected {hint.__name__}, got {type(data).__name__}")
    return data
