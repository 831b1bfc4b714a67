"""Who listens to what. Each context's `AppConfig.ready()` subscribes its handlers; the registry is
the same in the web process and in every worker because both load the same apps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from conectar.platform.databases import alias_for
from conectar.shared.events import DomainEvent

Handler = Callable[[DomainEvent], None]


@dataclass(frozen=True)
class Subscription:
    event_type: str
    handler: Handler
    context: str  # the subscriber's context: its database holds the effects and the dedupe record
    # False: the handler reads other contexts first and keeps its own writes idempotent per event
    # (unique keys), so the bus runs it outside any transaction (see delivery.handle_once).
    atomic: bool = True

    @property
    def key(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"

    @property
    def alias(self) -> str:
        return alias_for(self.context)


_by_event: dict[str, list[Subscription]] = defaultdict(list)
_by_key: dict[str, Subscription] = {}


class UnknownHandler(LookupError):
    pass


def subscribe(event_class: type[DomainEvent], handler: Handler, *, context: str, atomic: bool = True) -> None:
    """Deliver every `event_class` to `handler`, once per event, in `context`'s database.

    `atomic=False` is for a handler that must call another context (a facade read) before it
    writes: no transaction may be open during that call, so the handler opens its own after it,
    and its effects must be idempotent per event by themselves (a redelivery may run it again)."""
    sub = Subscription(event_type=event_class.type_name(), handler=handler, context=context, atomic=atomic)
    existing = _by_key.get(sub.key)
    if existing is not None and existing.event_type != sub.event_type:
        raise ValueError(f"{sub.key} already handles {existing.event_type}; one handler, one event type")
    if existing is None:
        _by_event[sub.event_type].append(sub)
        _by_key[sub.key] = sub


def subscriptions_for(event_type: str) -> list[Subscription]:
    return list(_by_event.get(event_type, ()))


def subscription(key: str) -> Subscription:
    try:
        return _by_key[key]
    except KeyError:
        raise UnknownHandler(key) from None
