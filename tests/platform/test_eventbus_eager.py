"""Without a broker (the development fallback) events are relayed and handled in-process, right
after the publishing transaction commits — and still not at all when it rolls back."""

import pytest
from django.db import transaction

from conectar.celery import app as celery_app
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.events import publish
from tests.support.probe.contracts import ProbePinged
from tests.support.probe.models import ProbeEffect

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def eager(settings, celery_worker):
    # Eager mode means no broker and so no worker; the suite's session worker would otherwise race
    # the in-process relay for the row (its listener hears the same commit). Stopped here, it is
    # started again by the `worker` fixture of the next test that needs one.
    celery_worker.stop(cleanup=False)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_committed_events_are_handled_in_process_after_commit(eager):
    event = ProbePinged(label="eager")
    with transaction.atomic(using="marketplace"):
        publish(event)
        assert not ProbeEffect.objects.using("users").filter(event_id=event.event_id).exists()

    for alias in ("users", "notifications"):
        assert ProbeEffect.objects.using(alias).filter(event_id=event.event_id).count() == 1
    assert OutboxEvent.objects.using("marketplace").get(event_id=event.event_id).relayed_at is not None


def test_rolled_back_events_are_not_handled_in_process(eager):
    event = ProbePinged(label="eager rollback")

    def use_case():
        with transaction.atomic(using="marketplace"):
            publish(event)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        use_case()
    assert not ProbeEffect.objects.using("users").filter(event_id=event.event_id).exists()
