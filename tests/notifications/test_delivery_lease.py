"""Claim → send → settle: no transaction or row lock is open while a provider answers, a duplicate
attempt leaves the delivery to the one holding the lease, and a worker killed mid-send leaves it to
the sweep once the lease is over (at least once).

Real commits (transactional tests) and real concurrency: threads with their own connections, and a
separate process for the killed worker. The deliveries are made directly, not through a handler,
so nothing is queued for a Celery worker that might be running for other tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.utils import timezone

from conectar.notifications import tasks
from conectar.notifications.catalogue import RAW_TEMPLATE, tipo_for_template
from conectar.notifications.models import Delivery, DeliveryAttempt, Notification
from conectar.notifications.services.delivery import DB, deliveries_sweep, delivery_attempt
from tests.support import worker as celery_worker
from tests.support.concurrency import run_concurrently
from tests.support.events import published
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ROOT = Path(__file__).resolve().parents[2]
SLOW = 1.5  # seconds the SendGrid stand-in takes to answer (under the 3 s client timeout)


def email_delivery(to: str = "ana@example.com") -> Delivery:
    event_id = uuid.uuid4()
    notification = Notification.objects.create(
        recipient=to,
        tipo=tipo_for_template(RAW_TEMPLATE).key,
        template=RAW_TEMPLATE,
        source_event_id=event_id,
    )
    return Delivery.objects.create(
        notification=notification, event_id=event_id, recipient=to, channel="email", to=to, subject="Aviso", body="Hola"
    )


@contextmanager
def in_background(action):
    """`action()` in a thread with its own database connections while the block runs; its result
    (or exception) is in the yielded list once the block has exited (the thread is joined)."""
    result: list = []

    def run():
        try:
            result.append(action())
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            result.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield result
    finally:
        thread.join(timeout=30)


def references(providers) -> list[str]:
    return [r.json()["custom_args"]["delivery_id"] for r in providers.sendgrid.received()]


def answered(providers) -> bool:
    return all(r.status for r in providers.sendgrid.received())


def test_no_transaction_or_row_lock_is_held_while_the_provider_answers(providers):
    row = email_delivery()
    providers.sendgrid.slow(SLOW)
    backend: list[int] = []

    def attempt():
        with connections[DB].cursor() as cursor:  # this thread's connection, the one the attempt uses
            cursor.execute("SELECT pg_backend_pid()")
            backend.append(cursor.fetchone()[0])
        return delivery_attempt(row.pk)

    with in_background(attempt) as result:
        wait_until(providers.sendgrid.received, timeout=10, message="the e-mail at SendGrid")

        # While SendGrid has not answered: another connection locks the row at once…
        with transaction.atomic(using=DB):
            locked = Delivery.objects.select_for_update(nowait=True).get(pk=row.pk)
            assert locked.status == "pending"
            assert locked.claim_id is not None, "the claim is committed before the call"
            assert locked.next_attempt_at > timezone.now() + timedelta(seconds=SLOW), "leased past the call's timeout"
        # …and the attempt's own connection has no transaction open.
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT state, xact_start FROM pg_stat_activity WHERE pid = %s", [backend[0]])
            state, xact_start = cursor.fetchone()
        assert (state, xact_start) == ("idle", None)
        assert not result, "the provider is still answering"

    assert [o.status for o in result] == ["sent"]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claim_id) == ("sent", 1, None)
    assert len(providers.sendgrid.mails) == 1


def test_two_concurrent_attempts_send_once_and_the_duplicate_does_not_wait_for_the_provider(providers):
    row = email_delivery()
    providers.sendgrid.slow(SLOW)

    def attempt():
        started = time.monotonic()
        outcome = delivery_attempt(row.pk)
        return outcome.status, time.monotonic() - started

    results = sorted(run_concurrently(attempt, times=2))
    (duplicate, duplicate_took), (sender, _) = results
    assert (duplicate, sender) == ("pending", "sent"), "the duplicate found the delivery leased"
    assert duplicate_took < SLOW, "the duplicate did not wait on a lock held across the provider call"
    assert len(providers.sendgrid.received()) == 1
    assert len(providers.sendgrid.mails) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert list(DeliveryAttempt.objects.filter(delivery=row).values_list("outcome", flat=True)) == ["sent"]
    assert len(published("notifications.notification_sent.v1", "notifications")) == 1


def test_an_attempt_that_outlived_its_lease_records_nothing_over_the_newer_one(providers):
    row = email_delivery()
    providers.sendgrid.slow(SLOW)
    with in_background(lambda: delivery_attempt(row.pk)) as late:
        wait_until(providers.sendgrid.received, timeout=10, message="the first e-mail at SendGrid")
        # The first worker is stuck past its lease (the test moves the clock): the task runs again.
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
        assert delivery_attempt(row.pk).status == "sent"

    assert [o.status for o in late] == ["pending"], "the late attempt found another claim and left it"
    assert late[0].retry_in is None, "and does not schedule a retry of its own"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claim_id) == ("sent", 1, None)
    assert list(DeliveryAttempt.objects.filter(delivery=row).values_list("outcome", flat=True)) == ["sent"]
    assert len(published("notifications.notification_sent.v1", "notifications")) == 1
    # At least once: both calls reached SendGrid, with the same reference.
    assert references(providers) == [str(row.pk), str(row.pk)]


ATTEMPT_IN_A_WORKER = (
    "import sys, uuid, django; django.setup(); "
    "from conectar.notifications.services.delivery import delivery_attempt; "
    "delivery_attempt(uuid.UUID(sys.argv[1]))"
)


def test_a_worker_killed_mid_send_leaves_the_delivery_to_the_sweep_after_its_lease(providers, settings):
    row = email_delivery()
    providers.sendgrid.slow(5)
    env = {
        **os.environ,
        **celery_worker.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "SENDGRID_TIMEOUT_SECONDS": "60",  # it hangs on SendGrid until it is killed
    }
    process = subprocess.Popen([sys.executable, "-c", ATTEMPT_IN_A_WORKER, str(row.pk)], cwd=ROOT, env=env)
    try:
        wait_until(lambda: providers.sendgrid.received() or process.poll() is not None, timeout=60)
        assert process.poll() is None, "the worker process ended before calling SendGrid"
    finally:
        process.kill()
        process.wait()
    providers.sendgrid.slow(0)

    # Within the lease: a duplicate task and the sweep leave it alone.
    assert delivery_attempt(row.pk).status == "pending"
    assert deliveries_sweep(older_than=0) == 0, "not even due yet"
    assert len(providers.sendgrid.received()) == 1
    row.refresh_from_db()
    assert row.status == "pending"
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=60), "leased for the dead worker's timeout"

    # The lease and the sweep's grace are over (the test moves the clock): the beat sweep re-enqueues
    # it, and its task (run in this process) sends it again.
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert tasks.sweep_pending.apply().get() == 1
    row.refresh_from_db()
    assert (row.status, row.claim_id) == ("sent", None)
    assert references(providers) == [str(row.pk), str(row.pk)], "at least once, with the same reference"
    assert len(published("notifications.notification_sent.v1", "notifications")) == 1
    # The killed call's request is still being answered by the stand-in: not in the next test.
    wait_until(lambda: answered(providers), timeout=10)
