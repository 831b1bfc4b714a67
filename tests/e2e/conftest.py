"""The e2e system is started once for this package (starting processes costs seconds); every test
makes its own people. What is not a person's step — the oficio catalogue (a data migration the
transactional flush empties) and a staff account — is made directly in the test databases."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings as django_settings

import conectar.settings as product_settings
from conectar.platform.databases import ALIASES
from conectar.platform.eventbus.models import OutboxDelivery, OutboxEvent
from tests.e2e import journey, system
from tests.support.notifications import deliveries_pending
from tests.support.professionals import oficio

# The journey runs in both topologies (ARCHITECTURE.md § Lifting a context): as the monolith, and
# with payments (called synchronously, calls back, takes webhooks) and notifications (only listens)
# lifted into their own processes behind the same gateway routes.
TOPOLOGIES = {"monolith": (), "split": ("payments", "notifications")}


def pytest_collection_modifyitems(items):
    # A ceiling, not a wait: the first test of each topology pays for starting its system (a dozen
    # processes importing Django at once on 2 cores when split) on top of its own steps.
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.timeout(300))


@pytest.fixture(scope="package", params=list(TOPOLOGIES))
def e2e(request, django_db_setup, django_db_blocker, celery_worker):
    # The suite's own worker shares the broker's Redis db and listens to the same outboxes: it would
    # take the e2e system's work with its own settings. Stopped here like the eager event-bus test
    # does; the `worker` fixture starts it again for the next test that needs it.
    celery_worker.stop(cleanup=False)
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.flushdb()
    with django_db_blocker.unblock():
        running = system.start(lifted=TOPOLOGIES[request.param])
    yield running
    running.stop()
    broker.flushdb()  # nothing of the e2e system's left for the suite's worker


SETTLE_SECONDS = 20


def _settled() -> bool:
    """Every event relayed and its every delivery confirmed, every notification sent or given up."""
    for alias in ALIASES:
        if OutboxEvent.objects.using(alias).filter(relayed_at=None).exists():
            return False
        if OutboxDelivery.objects.using(alias).filter(confirmed_at=None).exists():
            return False
    return not deliveries_pending()


@pytest.fixture(autouse=True)
def settled_before_the_flush(e2e, transactional_db):
    """After a test, wait (a while, not forever: a test may leave the system broken on purpose) for
    the system to finish what the test set going: the transactional flush TRUNCATEs every table at
    once, and a worker still writing two of them deadlocks with it."""
    yield
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and not _settled():
        time.sleep(0.1)


@pytest.fixture
def api(e2e, transactional_db):
    oficio("Plomero")  # seeds the catalogue again after the previous test's flush
    client = journey.Api(e2e)
    yield client
    client.close()


@pytest.fixture
def staff(api, django_user_model, settings) -> journey.Person:
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS  # hashed as the web server checks it
    return journey.staff_member(api, django_user_model)
