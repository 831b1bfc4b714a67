"""The event bus against real PostgreSQL, real Redis and a real Celery worker process."""

import itertools

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from conectar.celery import app as celery_app
from conectar.platform.eventbus.models import DeadLetter, OutboxEvent, ProcessedEvent
from conectar.platform.eventbus.publishing import PublishOutsideTransaction, envelope_for
from conectar.platform.eventbus.tasks import deliver_batch
from conectar.platform.events import publish
from conectar.platform.queues import all_queues, events_queue
from tests.support.auth_ctx import access_token_for
from tests.support.concurrency import run_concurrently
from tests.support.probe import handlers
from tests.support.probe.contracts import ProbePinged
from tests.support.probe.models import ProbeEffect
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

SUBSCRIBERS = {
    "users": "tests.support.probe.handlers.record_in_users",
    "notifications": "tests.support.probe.handlers.record_in_notifications",
}
_redis = redis.Redis.from_url(settings.REDIS_URL)


def effects(event_id, alias):
    return ProbeEffect.objects.using(alias).filter(event_id=event_id).count()


def publish_committed(**fields) -> ProbePinged:
    event = ProbePinged(label=fields.pop("label", "probe"), **fields)
    with transaction.atomic(using="marketplace"):
        publish(event)
    return event


def delivered_everywhere(event) -> bool:
    return all(effects(event.event_id, alias) for alias in SUBSCRIBERS)


def worker_idle() -> bool:
    """True once the worker has nothing active, reserved or scheduled and the queue is empty."""
    try:
        inspect = celery_app.control.inspect(timeout=1)
        active, reserved, scheduled = inspect.active() or {}, inspect.reserved() or {}, inspect.scheduled() or {}
    except (redis.ConnectionError, OSError):
        celery_app.close()  # a pooled connection cut by an earlier outage test; poll again
        return False
    broker = _redis_broker()
    pending = sum(broker.llen(queue) for queue in all_queues())
    return (
        bool(active)
        and not any(active.values())
        and not any(reserved.values())
        and not any(scheduled.values())
        and pending == 0
    )


def _redis_broker():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def test_a_rolled_back_transaction_publishes_nothing(worker):
    rolled_back = ProbePinged(label="rolled back")

    class Abort(Exception):
        pass

    def use_case_that_fails_after_publishing():
        with transaction.atomic(using="marketplace"):
            publish(rolled_back)
            raise Abort

    with pytest.raises(Abort):
        use_case_that_fails_after_publishing()

    assert not OutboxEvent.objects.using("marketplace").filter(event_id=rolled_back.event_id).exists()
    # A committed event published afterwards goes all the way through (the relay ran, twice over:
    # nudge and beat) — and the rolled-back one still reached no subscriber.
    committed = publish_committed(label="committed after")
    wait_until(lambda: delivered_everywhere(committed), message="the committed event's delivery")
    for alias in SUBSCRIBERS:
        assert effects(rolled_back.event_id, alias) == 0


def test_publish_refuses_to_run_outside_a_transaction():
    with pytest.raises(PublishOutsideTransaction):
        publish(ProbePinged(label="no transaction"))
    assert not OutboxEvent.objects.using("marketplace").exists()


def test_b_a_committed_event_reaches_every_subscriber_exactly_once(worker):
    event = publish_committed(label="once")

    wait_until(lambda: delivered_everywhere(event), message="delivery to both subscribers")
    wait_until(worker_idle, message="the worker to drain", timeout=30)
    row = OutboxEvent.objects.using("marketplace").get(event_id=event.event_id)
    assert row.relayed_at is not None
    for alias, handler in SUBSCRIBERS.items():
        assert effects(event.event_id, alias) == 1
        assert ProcessedEvent.objects.using(alias).filter(event_id=event.event_id, handler=handler).count() == 1


def test_c_the_same_event_delivered_again_changes_nothing(worker):
    event = publish_committed(label="redelivered")
    wait_until(lambda: delivered_everywhere(event), message="first delivery")

    envelope = OutboxEvent.objects.using("marketplace").get(event_id=event.event_id).envelope
    for context, handler in SUBSCRIBERS.items():  # the broker hands the same message out twice more
        deliver_batch.apply_async(args=[[[envelope, 0]], handler], queue=events_queue(context))
        deliver_batch.apply_async(args=[[[envelope, 0]], handler], queue=events_queue(context))
    wait_until(worker_idle, message="the worker to drain", timeout=30)

    for alias in SUBSCRIBERS:
        assert effects(event.event_id, alias) == 1
        attempts = _redis.llen(handlers.attempts_key(event.event_id, alias))
        assert attempts == 1, "a duplicate delivery must not even run the handler"


def test_c_concurrent_duplicate_deliveries_apply_once():
    """Two deliveries of one event to one handler at the same instant: the unique dedupe record
    makes the second wait for the first and then do nothing."""
    event = ProbePinged(label="concurrent")
    envelope = envelope_for(event)
    handler = SUBSCRIBERS["users"]
    run_concurrently(lambda: deliver_batch.apply(args=[[[envelope, 0]], handler]), times=4)
    assert effects(event.event_id, "users") == 1
    assert ProcessedEvent.objects.using("users").filter(event_id=event.event_id).count() == 1


def test_a_failing_handler_is_retried_and_its_partial_effects_roll_back(worker):
    event = publish_committed(label="flaky", fail_times=2)
    wait_until(lambda: delivered_everywhere(event), message="delivery after two failures")
    for alias in SUBSCRIBERS:
        assert _redis.llen(handlers.attempts_key(event.event_id, alias)) == 3
        assert effects(event.event_id, alias) == 1, "the failed attempts' writes were rolled back"


def test_d_an_event_committed_while_the_broker_is_down_is_delivered_when_it_returns(worker, broker_proxy):
    broker_proxy.stop()
    try:
        event = publish_committed(label="outage")  # the commit itself succeeds
        # In the outbox; the listener may already have relayed it (the relay needs no broker), but
        # its messages could not go out: their deliveries stay due for the relay after the outage.
        assert OutboxEvent.objects.using("marketplace").filter(event_id=event.event_id).exists()
        assert not any(effects(event.event_id, alias) for alias in SUBSCRIBERS)
    finally:
        broker_proxy.start()
    wait_until(lambda: delivered_everywhere(event), timeout=60, message="delivery after the broker returned")
    for alias in SUBSCRIBERS:
        assert effects(event.event_id, alias) == 1


def test_e_a_handler_that_keeps_failing_is_retried_with_backoff_dead_lettered_and_redriven(worker, admin_client):
    conf = settings.EVENTBUS
    event = publish_committed(label="poison", always_fail_in=("notifications",))

    dead = wait_until(
        lambda: DeadLetter.objects.using("notifications").filter(event_id=event.event_id).first(),
        timeout=60,
        message="the dead letter",
    )
    tries = [float(t) for t in _redis.lrange(handlers.attempts_key(event.event_id, "notifications"), 0, -1)]
    assert len(tries) == conf["MAX_RETRIES"] + 1 == dead.attempts
    for attempt, (earlier, later) in enumerate(itertools.pairwise(tries), start=1):
        # Equal jitter never waits less than half the exponential step.
        floor = min(conf["RETRY_BACKOFF_MAX_SECONDS"], conf["RETRY_BACKOFF_SECONDS"] * 2 ** (attempt - 1)) / 2
        assert later - earlier >= floor
    assert dead.status == DeadLetter.Status.DEAD
    assert "failing until healed" in dead.last_error
    assert effects(event.event_id, "notifications") == 0
    assert effects(event.event_id, "users") == 1, "the healthy subscriber is unaffected"

    listing = admin_client.get("/admin/eventbus/deadletter/", {"db": "notifications"})
    assert listing.status_code == 200
    assert "marketplace.probe_pinged.v1" in listing.content.decode()

    _redis.set(handlers.heal_key(event.event_id), "1", ex=3600)
    call_command("redrive_dead_letters", database="notifications")
    wait_until(lambda: effects(event.event_id, "notifications") == 1, message="the re-driven delivery")
    dead.refresh_from_db(using="notifications")
    assert dead.status == DeadLetter.Status.REDRIVEN
    assert dead.redriven_at is not None


def test_the_request_id_travels_from_the_request_into_the_event_and_its_handlers(worker, client, django_user_model):
    user = django_user_model.objects.create_user("rid@example.com", "pw-123456789")
    response = client.post(
        "/api/v1/probe/ninja/items",
        {"name": "traced", "count": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {access_token_for(user)}", "X-Request-ID": "req-trace-123"},
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == "req-trace-123"
    row = OutboxEvent.objects.using("marketplace").get(
        event_type="marketplace.probe_pinged.v1", envelope__payload__label="traced"
    )
    assert row.envelope["request_id"] == "req-trace-123"
    effect = wait_until(
        lambda: ProbeEffect.objects.using("users").filter(event_id=row.event_id).first(), message="delivery"
    )
    assert effect.request_id == "req-trace-123"
