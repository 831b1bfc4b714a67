"""Domain events: the base every context's published events derive from, and their JSON codec.

An event is a frozen, keyword-only dataclass declared in its publisher's `contracts.py`:

    @dataclass(frozen=True, kw_only=True)
    class UserRegistered(DomainEvent):
        name: ClassVar[str] = "auth_ctx.user_registered"
        version: ClassVar[int] = 1
        user_id: UUID
        email: str

Its wire type is `"<name>.v<version>"`. A new incompatible shape gets a new version and a new class;
old versions stay decodable until nobody publishes them. Standard library only: contracts must be
importable by a lifted service without Django.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from conectar.shared.clock import utcnow
from conectar.shared.codec import decode, encode, hints_of

_REGISTRY: dict[str, type[DomainEvent]] = {}


class UnknownEventType(LookupError):
    pass


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    name: ClassVar[str]
    version: ClassVar[int] = 1

    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=utcnow)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return  # an intermediate base, not a publishable event
        event_type = cls.type_name()
        existing = _REGISTRY.get(event_type)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {event_type} is declared twice: {existing} and {cls}")
        _REGISTRY[event_type] = cls

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.name}.v{cls.version}"

    @property
    def context(self) -> str:
        """The publishing context: the first segment of the dotted name."""
        return self.name.split(".", 1)[0]


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def to_payload(event: DomainEvent) -> dict[str, Any]:
    """The event's fields as JSON-safe values (UUID, datetime, Decimal and enums as strings)."""
    return {f.name: encode(getattr(event, f.name)) for f in dataclasses.fields(event)}


def from_payload(event_type: str, payload: dict[str, Any]) -> DomainEvent:
    cls = event_class(event_type)
    hints = hints_of(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    values = {k: decode(hints[k], v) for k, v in payload.items() if k in names}
    return cls(**values)
