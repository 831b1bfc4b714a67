"""Celery entry points of the event bus (thin: the logic is in relay.py and delivery.py).

The relay sends each subscriber its events in batches (`eventbus.deliver_batch`): one message
carries many events, but each event is still handled in its own transaction with its own dedupe
record. An event that fails leaves the batch and is retried alone (`eventbus.deliver`) with
exponential backoff, until it succeeds or is dead-lettered.
"""

from __future__ import annotations

import structlog
from celery import shared_task
from django.conf import settings

from conectar.platform.databases import ALIASES
from conectar.platform.eventbus.delivery import bury, handle_once, retry_delay
from conectar.platform.eventbus.relay import relay_all_pending
from conectar.platform.eventbus.subscriptions import Subscription, UnknownHandler, subscription

log = structlog.get_logger(__name__)


def _enqueue_batch(envelopes: list[dict], handler_key: str) -> None:
    deliver_batch.apply_async(args=[envelopes, handler_key], headers={"request_id": envelopes[0].get("request_id")})


@shared_task(name="eventbus.relay_outbox", ignore_result=True)
def relay_outbox(alias: str) -> int:
    conf = settings.EVENTBUS
    return relay_all_pending(
        alias,
        enqueue=_enqueue_batch,
        batch_size=conf["RELAY_BATCH_SIZE"],
        delivery_batch_size=conf["DELIVERY_BATCH_SIZE"],
    )


@shared_task(name="eventbus.relay_all_outboxes", ignore_result=True)
def relay_all_outboxes() -> int:
    """The beat-scheduled sweep: catches whatever a missed nudge (broker down at commit) left."""
    return sum(relay_outbox(alias) for alias in ALIASES)


@shared_task(name="eventbus.deliver_batch", ignore_result=True, acks_late=True)
def deliver_batch(envelopes: list[dict], handler_key: str) -> None:
    sub = _subscription(handler_key, envelopes)
    if sub is not None:
        for envelope in envelopes:
            _deliver(sub, envelope, attempt=1)


@shared_task(bind=True, name="eventbus.deliver", ignore_result=True, acks_late=True)
def deliver_event(self, envelope: dict, handler_key: str) -> None:
    sub = _subscription(handler_key, [envelope])
    if sub is not None:
        _deliver(sub, envelope, attempt=self.request.retries + 1)


def _subscription(handler_key: str, envelopes: list[dict]) -> Subscription | None:
    try:
        return subscription(handler_key)
    except UnknownHandler:
        # A handler renamed or removed while its deliveries were queued: nothing here can run it.
        log.exception("eventbus.unknown_handler", handler=handler_key, event_ids=[e["event_id"] for e in envelopes])
        return None


def _deliver(sub: Subscription, envelope: dict, *, attempt: int) -> None:
    """Attempt number `attempt` of one (event, handler); on failure schedule the next or bury it."""
    try:
        handle_once(sub, envelope)
    except Exception as exc:
        conf = settings.EVENTBUS
        context = {"handler": sub.key, "event_id": envelope["event_id"], "attempt": attempt}
        if attempt > conf["MAX_RETRIES"]:
            log.exception("eventbus.dead_letter", **context)
            bury(sub, envelope, attempts=attempt, error=repr(exc))
            return
        delay = retry_delay(attempt, base=conf["RETRY_BACKOFF_SECONDS"], cap=conf["RETRY_BACKOFF_MAX_SECONDS"])
        log.warning("eventbus.retry", delay=delay, error=repr(exc), **context)
        try:
            deliver_event.apply_async(args=[envelope, sub.key], retries=attempt, countdown=delay)
        except Exception as broker_exc:
            log.exception("eventbus.retry_not_scheduled", **context)
            bury(sub, envelope, attempts=attempt, error=f"{exc!r}; retry not scheduled: {broker_exc!r}")
