"""The chaos system is started once for this package and broken by each test in its own way; a
test leaves it whole again (both workers running, the broker reachable)."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings

import conectar.settings as product_settings
from tests.chaos import system
from tests.e2e import journey
from tests.support.professionals import oficio


@pytest.fixture(scope="package")
def chaos(django_db_setup, django_db_blocker, celery_worker):
    # The suite's own worker listens to the same outboxes and would relay them to its own broker.
    celery_worker.stop(cleanup=False)
    with django_db_blocker.unblock():
        running = system.start()
    yield running
    running.stop()
    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture
def whole(chaos):
    """The system as a test found it whole, and whole again after it."""
    yield chaos
    if not chaos.proxy.running:
        chaos.restore_broker()
    for kind in ("domain", "notifier"):
        if kind in chaos.processes and chaos.processes[kind].popen.poll() is not None:
            chaos.kill_worker(kind)  # it ended during the test (which fails on its own): not the next test's failure
        if kind not in chaos.processes:
            chaos.start_worker(kind)


@pytest.fixture
def api(whole, transactional_db):
    oficio("Plomero")  # the catalogue again after the previous test's flush
    client = journey.Api(whole)
    yield client
    client.close()


@pytest.fixture
def staff(api, django_user_model, settings) -> journey.Person:
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS  # hashed as the web server checks it
    return journey.staff_member(api, django_user_model)
