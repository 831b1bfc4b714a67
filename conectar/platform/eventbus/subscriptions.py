"""Who listens to what.

A context declares what it listens to on its AppConfig (`listens = Listening(...)`: event classes
and the names of its handler functions) and subscribes them in `ready()`. The declaration is plain
data in `apps.py`, importable where the context is not installed: a publisher whose subscriber runs
in another process (a lifted context, `settings.REMOTE_CONTEXTS`) reads it to route deliveries there
without loading the subscriber's code. Tests may still `subscribe()` a handler directly."""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.apps import AppConfig
from django.conf import settings

from conectar.platform.databases import alias_for
from conectar.shared.events import DomainEvent

Handler = Callable[[DomainEvent], None]


@dataclass(frozen=True)
class Subscription:
    event_type: str
    key: str  # the handler's dotted path: the delivery rows and dedupe records name it
    context: str  # the subscriber's context: its database holds the effects and the dedupe record
    # False: the handler reads other contexts first and keeps its own writes idempotent per event
    # (unique keys), so the bus runs it outside any transaction (see delivery.handle_once).
    atomic: bool = True
    handler: Handler | None = None  # None for a subscriber in another process: routed, not run here

    @property
    def alias(self) -> str:
        return alias_for(self.context)


@dataclass(frozen=True)
class Listening:
    """What a context listens to: `{EventClass: "handler_function_name"}` in `handlers` (a module
    path), all with the same `atomic` (see Subscription)."""

    handlers: str
    events: dict[type[DomainEvent], str]
    atomic: bool = True

    def subscriptions(self, context: str) -> list[Subscription]:
        return [
            Subscription(event.type_name(), f"{self.handlers}.{name}", context, self.atomic)
            for event, name in self.events.items()
        ]


_by_event: dict[str, list[Subscription]] = defaultdict(list)
_by_key: dict[str, Subscription] = {}


class UnknownHandler(LookupError):
    pass


def subscribe(event_class: type[DomainEvent], handler: Handler, *, context: str, atomic: bool = True) -> None:
    """Deliver every `event_class` to `handler`, once per event, in `context`'s database.

    `atomic=False` is for a handler that must call another context (a facade read) before it
    writes: no transaction may be open during that call, so the handler opens its own after it,
    and its effects must be idempotent per event by themselves (a redelivery may run it again)."""
    key = f"{handler.__module__}.{handler.__qualname__}"
    _add(Subscription(event_class.type_name(), key, context, atomic, handler))


def listen(listening: Listening, *, context: str) -> None:
    """Subscribe the handlers a context declared (its AppConfig's `listens`)."""
    handlers = importlib.import_module(listening.handlers)
    for event, name in listening.events.items():
        subscribe(event, getattr(handlers, name), context=context, atomic=listening.atomic)


def _add(sub: Subscription) -> None:
    existing = _by_key.get(sub.key)
    if existing is not None and existing.event_type != sub.event_type:
        raise ValueError(f"{sub.key} already handles {existing.event_type}; one handler, one event type")
    if existing is None:
        _by_event[sub.event_type].append(sub)
        _by_key[sub.key] = sub


@cache
def _remote_subscriptions() -> dict[str, list[Subscription]]:
    """The declared subscriptions of every context that runs in another process, by event type."""
    found: dict[str, list[Subscription]] = defaultdict(list)
    for context in settings.REMOTE_CONTEXTS:
        module = importlib.import_module(f"conectar.{context}.apps")
        for config in vars(module).values():
            if inspect.isclass(config) and issubclass(config, AppConfig) and hasattr(config, "listens"):
                for sub in config.listens.subscriptions(config.label):
                    found[sub.event_type].append(sub)
    return found


def subscriptions_for(event_type: str) -> list[Subscription]:
    """Everyone to deliver `event_type` to: the handlers of this process and those declared by the
    contexts that run elsewhere."""
    return [*_by_event.get(event_type, ()), *_remote_subscriptions().get(event_type, ())]


def subscription(key: str) -> Subscription:
    try:
        return _by_key[key]
    except KeyError:
        raise UnknownHandler(key) from None
