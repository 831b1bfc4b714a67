"""A subscriber's report travels to the publisher's list in the broker's Redis and the publisher's
relay sweep applies it (platform/eventbus/confirmations.py): real PostgreSQL, real Redis, the
handlers run in this process and the sweep is beat's `eventbus.relay_outbox` run here. The session's
worker is stopped for these tests, so that its own sweep cannot take the reports first (the next
test that needs it starts it again)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from conectar.platform.eventbus.confirmations import apply_reports, reports_key
from conectar.platform.eventbus.models import OutboxDelivery, OutboxEvent
from conectar.platform.eventbus.publishing import envelope_for
from conectar.platform.eventbus.tasks import deliver_batch, relay_outbox
from conectar.platform.events import publish
from conectar.platform.outages import database_unreachable
from tests.support.database_proxy import behind_a_proxy
from tests.support.probe.contracts import ProbePinged
from tests.support.probe.models import ProbeEffect

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PUBLISHER = "marketplace"
HANDLER = "tests.support.probe.handlers.record_in_users"
_broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.fixture(autouse=True)
def no_worker(celery_worker):
    celery_worker.stop(cleanup=False)
    _broker.delete(reports_key(PUBLISHER))
    yield
    _broker.delete(reports_key(PUBLISHER))


def listed() -> int:
    return _broker.llen(reports_key(PUBLISHER))


def delivered(event: ProbePinged) -> OutboxDelivery:
    """`event` in the publisher's outbox, relayed, its delivery to HANDLER leased for an hour (no
    sweep sends it again here), and that delivery run by the subscriber in this process."""
    envelope = envelope_for(event)
    now = timezone.now()
    row = OutboxEvent.objects.using(PUBLISHER).create(
        event_id=event.event_id, event_type=envelope["event_type"], envelope=envelope, relayed_at=now
    )
    delivery = OutboxDelivery.objects.using(PUBLISHER).create(
        event=row, handler=HANDLER, subscriber="users", created_at=now, next_attempt_at=now + timedelta(hours=1)
    )
    deliver_batch.apply(args=[[[envelope, 0]], HANDLER])
    return delivery


def fresh(delivery: OutboxDelivery) -> OutboxDelivery:
    return OutboxDelivery.objects.using(PUBLISHER).get(pk=delivery.pk)


def test_a_handled_delivery_is_confirmed_by_the_next_relay_sweep_from_the_publishers_list():
    delivery = delivered(ProbePinged(label="confirmed"))
    assert ProbeEffect.objects.using("users").filter(event_id=delivery.event.event_id).count() == 1
    assert listed() == 1, "the report waits in the publisher's list"
    assert fresh(delivery).confirmed_at is None

    relay_outbox.apply(args=[PUBLISHER])

    confirmed = fresh(delivery)
    assert (confirmed.outcome, confirmed.sends, confirmed.failures) == ("handled", 1, 0)
    assert confirmed.confirmed_at is not None
    assert listed() == 0


def test_a_failed_attempt_counts_against_the_delivery_and_brings_its_next_send_forward():
    delivery = delivered(ProbePinged(label="flaky", fail_times=1))
    assert not ProbeEffect.objects.using("users").filter(event_id=delivery.event.event_id).exists()

    relay_outbox.apply(args=[PUBLISHER])

    retried = fresh(delivery)
    assert retried.confirmed_at is None
    assert retried.failures == 1
    # The subscriber's backoff (a fraction of a second here), not the hour-long lease.
    assert retried.next_attempt_at < timezone.now() + timedelta(seconds=settings.EVENTBUS["RETRY_BACKOFF_MAX_SECONDS"])


def test_reports_wait_in_the_list_while_the_publishers_database_is_out_of_reach():
    first = delivered(ProbePinged(label="before the outage"))
    second = delivered(ProbePinged(label="also before"))
    assert listed() == 2

    with behind_a_proxy(PUBLISHER) as proxy:
        proxy.stop()
        with pytest.raises(DatabaseError) as raised:
            apply_reports(PUBLISHER)  # the sweep's first step meets the cut database
        assert database_unreachable(raised.value)
        assert listed() == 2, "nothing taken from the list is lost to the outage"
        proxy.start()
        assert apply_reports(PUBLISHER) == 2

    assert all(fresh(d).outcome == "handled" for d in (first, second))
    assert listed() == 0


def test_a_report_that_cannot_be_applied_is_dropped_and_the_others_are_applied():
    _broker.rpush(reports_key(PUBLISHER), json.dumps([HANDLER, [["not-an-event-id", "handled", None]]]))
    _broker.rpush(reports_key(PUBLISHER), b"{not json")
    delivery = delivered(ProbePinged(label="after the poison"))
    assert listed() == 3

    relay_outbox.apply(args=[PUBLISHER])

    assert fresh(delivery).outcome == "handled"
    assert listed() == 0, "a report that fails for good must not block the list"


def test_the_relay_goes_on_when_the_reports_cannot_be_read(settings, broker_proxy):
    db = _broker.connection_pool.connection_kwargs["db"]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{broker_proxy.port}/{db}"
    event = ProbePinged(label="relayed without the list")
    broker_proxy.stop()
    try:
        with transaction.atomic(using=PUBLISHER):
            publish(event)
        relay_outbox.apply(args=[PUBLISHER])
        row = OutboxEvent.objects.using(PUBLISHER).get(event_id=event.event_id)
        assert row.relayed_at is not None
        assert OutboxDelivery.objects.using(PUBLISHER).filter(event=row).count() == 2
    finally:
        broker_proxy.start()
