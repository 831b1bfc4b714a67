"""Celery entry points of the event bus (thin: the logic is in relay.py and delivery.py)."""

from __future__ import annotations

import structlog
from celery import shared_task
from django.conf import settings

from conectar.platform.databases import ALIASES
from conectar.platform.eventbus.delivery import bury, handle_once, retry_delay
from conectar.platform.eventbus.relay import relay_all_pending
from conectar.platform.eventbus.subscriptions import UnknownHandler, subscription

log = structlog.get_logger(__name__)


def _enqueue_delivery(envelope: dict, handler_key: str) -> None:
    deliver_event.apply_async(args=[envelope, handler_key], headers={"request_id": envelope.get("request_id")})


@shared_task(name="eventbus.relay_outbox", ignore_result=True)
def relay_outbox(alias: str) -> int:
    return relay_all_pending(alias, enqueue=_enqueue_delivery, batch_size=settings.EVENTBUS["RELAY_BATCH_SIZE"])


@shared_task(name="eventbus.relay_all_outboxes", ignore_result=True)
def relay_all_outboxes() -> int:
    """The beat-scheduled sweep: catches whatever a missed nudge (broker down at commit) left."""
    return sum(relay_outbox(alias) for alias in ALIASES)


@shared_task(bind=True, name="eventbus.deliver", ignore_result=True, acks_late=True, max_retries=None)
def deliver_event(self, envelope: dict, handler_key: str) -> None:
    try:
        sub = subscription(handler_key)
    except UnknownHandler:
        # A handler renamed or removed while its deliveries were queued: nothing here can run it.
        log.error("eventbus.unknown_handler", handler=handler_key, event_id=envelope.get("event_id"))
        return
    try:
        handle_once(sub, envelope)
    except Exception as exc:
        conf = settings.EVENTBUS
        attempt = self.request.retries + 1
        if attempt > conf["MAX_RETRIES"]:
            log.error("eventbus.dead_letter", handler=handler_key, event_id=envelope["event_id"], error=repr(exc))
            bury(sub, envelope, attempts=attempt, error=repr(exc))
            return
        delay = retry_delay(attempt, base=conf["RETRY_BACKOFF_SECONDS"], cap=conf["RETRY_BACKOFF_MAX_SECONDS"])
        log.warning("eventbus.retry", handler=handler_key, event_id=envelope["event_id"], attempt=attempt, delay=delay, error=repr(exc))
        raise self.retry(exc=exc, countdown=delay) from exc
