"""Celery entry points of the event bus (thin: the logic is in relay.py, delivery.py and
confirmations.py).

- `eventbus.relay_outbox(alias)` on `eventbus.<publisher>`: new events become deliveries; deliveries
  whose lease ran out are sent again. Sent by beat; on commit the outbox listener relays the new
  events in its own thread instead (no broker round trip, and events that commit while it works go
  out together).
- `eventbus.deliver_batch(items, handler)` on `events.<subscriber>`: the events in one transaction,
  each with its own dedupe record, one at a time if that fails (delivery.py); the outcome of every
  attempt goes back to the publisher's list of reports (confirmations.py), which its relay applies
  first thing in every sweep.
- `eventbus.report(publisher, handler, attempts)` on `eventbus.<publisher>`: the same reports as
  messages, as workers of the previous release still send them; applied on arrival.
"""

from __future__ import annotations

import structlog
from celery import shared_task
from django.conf import settings

from conectar.platform.databases import alias_for
from conectar.platform.eventbus.confirmations import apply_reports, deliveries_report, send_report
from conectar.platform.eventbus.delivery import attempt_all
from conectar.platform.eventbus.relay import RelayConfig, relay
from conectar.platform.eventbus.subscriptions import UnknownHandler, subscription
from conectar.platform.outages import database_available, database_unreachable, mark_database_down
from conectar.platform.queues import events_queue

log = structlog.get_logger(__name__)

RELAY, DELIVER, REPORT = "eventbus.relay_outbox", "eventbus.deliver_batch", "eventbus.report"


def relay_config() -> RelayConfig:
    conf = settings.EVENTBUS
    return RelayConfig(
        batch_size=conf["RELAY_BATCH_SIZE"],
        delivery_batch_size=conf["DELIVERY_BATCH_SIZE"],
        lease_seconds=conf["DELIVERY_LEASE_SECONDS"],
        lease_max_seconds=conf["DELIVERY_LEASE_MAX_SECONDS"],
    )


def _send(items: list[list], handler_key: str, subscriber: str) -> None:
    request_id = items[0][0].get("request_id")
    deliver_batch.apply_async(
        args=[items, handler_key], queue=events_queue(subscriber), headers={"request_id": request_id}
    )


def relay_now(alias: str) -> int:
    """Relay `alias`'s new events in this process (the worker's outbox listener does, on commit).
    What a commit brings is new events only; the due resends are the beat's relay's, every
    EVENTBUS_RELAY_INTERVAL_SECONDS, which spares each commit three more round trips."""
    return relay(alias, send=_send, conf=relay_config(), resends=False)


@shared_task(name=RELAY, ignore_result=True)
def relay_outbox(alias: str) -> int:
    # A database out of reach is skipped at once (beat asks again), not waited on by every process.
    if not database_available(alias):
        return 0
    try:
        apply_reports(alias)  # before the resends: a delivery handled meanwhile is not sent again
        return relay(alias, send=_send, conf=relay_config())
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        mark_database_down(alias)
        log.warning("eventbus.relay_database_unreachable", alias=alias, error=repr(exc))
        return 0


@shared_task(name=DELIVER, ignore_result=True, acks_late=True)
def deliver_batch(items: list[list], handler_key: str) -> None:
    try:
        sub = subscription(handler_key)
    except UnknownHandler:
        # A handler renamed or removed while its deliveries were out: nothing here can run it, and
        # the publisher keeps them unconfirmed (and visible in the metrics) until someone looks.
        log.exception("eventbus.unknown_handler", handler=handler_key, event_ids=[e["event_id"] for e, _ in items])
        return
    attempts = attempt_all(sub, items, conf=settings.EVENTBUS)
    publisher = items[0][0]["publisher"]
    try:
        send_report(alias_for(publisher), handler=handler_key, attempts=[a.report() for a in attempts])
    except Exception:
        log.exception("eventbus.report_not_sent", handler=handler_key)


@shared_task(name=REPORT, ignore_result=True)
def report(publisher: str, handler_key: str, attempts: list[list]) -> None:
    # With the publisher's database out of reach the report is dropped: its deliveries stay open and
    # are sent again when their lease runs out, and the subscriber reports again (deduped).
    alias = alias_for(publisher)
    if not database_available(alias):
        log.warning("eventbus.report_dropped", alias=alias, handler=handler_key)
        return
    try:
        deliveries_report(alias, handler=handler_key, attempts=attempts)
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        mark_database_down(alias)
        log.warning("eventbus.report_dropped", alias=alias, handler=handler_key, error=repr(exc))
