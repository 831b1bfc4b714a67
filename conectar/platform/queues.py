"""Celery queues: who waits behind whom (ARCHITECTURE.md § Events).

- `events.<context>`: that context's event handlers and its own tasks (payments' webhook sync,
  refunds and payouts; the marketplace's expiries; the notification sweeps).
- `eventbus.<context>`: the relay and the delivery confirmations of that context's outbox: small
  and latency-critical, so they never wait behind handler work.
- `notifications.<channel>`: notification deliveries, one queue per channel, so a flood of e-mails
  never delays a profile creation, a payment confirmation or a push.

Workers can be started per queue (`celery -A conectar worker -Q "$(python manage.py celery_queues
domain)"`, or any list of the names above); `make run` runs one worker for the domain queues and one
for the deliveries.
"""

from __future__ import annotations

from conectar.platform.databases import CONTEXT_DATABASES, context_for

DEFAULT_QUEUE = "celery"  # tasks no rule names (none of ours; test probes)
NOTIFICATION_CHANNELS = ("push", "email", "sms")


def events_queue(context: str) -> str:
    return f"events.{context}"


def eventbus_queue(alias: str) -> str:
    return f"eventbus.{context_for(alias)}"


def notifications_queue(channel: str) -> str:
    return f"notifications.{channel}"


def domain_queues(contexts: tuple[str, ...] | None = None) -> list[str]:
    """Everything but the notification deliveries, for `contexts` (default: all). A context's service
    passes its own (`settings.CONTEXTS_HERE`): its worker takes no other context's work."""
    contexts = tuple(CONTEXT_DATABASES) if contexts is None else contexts
    return [
        *(events_queue(c) for c in contexts),
        *(eventbus_queue(CONTEXT_DATABASES[c]) for c in contexts),
        DEFAULT_QUEUE,
    ]


def delivery_queues(contexts: tuple[str, ...] | None = None) -> list[str]:
    if contexts is not None and "notifications" not in contexts:
        return []
    return [notifications_queue(channel) for channel in NOTIFICATION_CHANNELS]


def all_queues(contexts: tuple[str, ...] | None = None) -> list[str]:
    return [*domain_queues(contexts), *delivery_queues(contexts)]


def route(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: a context's task (`<context>.<task>`) runs on `events.<context>`.
    A queue given at the call site (the event bus, notification deliveries) wins over this."""
    context = name.partition(".")[0]
    if context in CONTEXT_DATABASES:
        return {"queue": events_queue(context)}
    return None
