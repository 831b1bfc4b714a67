"""A message of several events to one subscriber: handled in one transaction, and still each event
exactly once in effect, a failing one retried on its own without touching its neighbours."""

import pytest
from django.conf import settings

from conectar.platform.eventbus.delivery import HANDLED, RETRY, attempt_all
from conectar.platform.eventbus.models import ProcessedEvent
from conectar.platform.eventbus.publishing import envelope_for
from conectar.platform.eventbus.subscriptions import subscription
from conectar.platform.eventbus.tasks import deliver_batch
from tests.support.concurrency import run_concurrently
from tests.support.probe.contracts import ProbePinged
from tests.support.probe.models import ProbeEffect

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

HANDLER = "tests.support.probe.handlers.record_in_users"


def effects(event) -> int:
    return ProbeEffect.objects.using("users").filter(event_id=event.event_id).count()


def processed(event) -> int:
    return ProcessedEvent.objects.using("users").filter(event_id=event.event_id, handler=HANDLER).count()


def test_every_event_of_a_batch_is_handled_once():
    events = [ProbePinged(label=f"batch {n}") for n in range(5)]

    attempts = attempt_all(subscription(HANDLER), [[envelope_for(e), 0] for e in events], conf=settings.EVENTBUS)

    assert [(a.event_id, a.outcome) for a in attempts] == [(str(e.event_id), HANDLED) for e in events]
    assert [(effects(e), processed(e)) for e in events] == [(1, 1)] * 5


def test_a_failing_event_is_retried_alone_and_its_neighbours_are_handled_once():
    before, failing, after = (
        ProbePinged(label="before"),
        ProbePinged(label="poison", fail_times=5),
        ProbePinged(label="after"),
    )
    items = [[envelope_for(e), 0] for e in (before, failing, after)]

    attempts = attempt_all(subscription(HANDLER), items, conf=settings.EVENTBUS)

    assert [a.outcome for a in attempts] == [HANDLED, RETRY, HANDLED]
    assert attempts[1].retry_in > 0
    assert not attempts[1].outage
    assert (effects(before), effects(failing), effects(after)) == (1, 0, 1), "the failed attempt's writes rolled back"
    assert (processed(before), processed(failing), processed(after)) == (1, 0, 1)


def test_a_batch_with_events_handled_before_and_the_same_event_twice_runs_each_once():
    old, new = ProbePinged(label="handled before"), ProbePinged(label="new")
    sub = subscription(HANDLER)
    attempt_all(sub, [[envelope_for(old), 0], [envelope_for(ProbePinged(label="filler")), 0]], conf=settings.EVENTBUS)

    items = [[envelope_for(old), 0], [envelope_for(new), 0], [envelope_for(new), 0]]
    attempts = attempt_all(sub, items, conf=settings.EVENTBUS)

    assert [a.outcome for a in attempts] == [HANDLED] * 3
    assert (effects(old), effects(new)) == (1, 1)
    assert (processed(old), processed(new)) == (1, 1)


def test_concurrent_deliveries_of_overlapping_batches_apply_each_event_once():
    events = [ProbePinged(label=f"overlap {n}") for n in range(6)]
    envelopes = [envelope_for(e) for e in events]
    batches = iter([envelopes[:4], envelopes[2:][::-1], envelopes[::-1], envelopes])

    def deliver():
        deliver_batch.apply(args=[[[envelope, 0] for envelope in next(batches)], HANDLER])

    results = run_concurrently(deliver, times=4)

    assert not [r for r in results if isinstance(r, Exception)]
    assert [(effects(e), processed(e)) for e in events] == [(1, 1)] * 6
