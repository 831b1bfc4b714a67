"""The broker is not where deliveries live: restarted with its data gone, cut off for seconds, or
flooded with notification deliveries, it costs the domain events nothing but time."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
import redis

from conectar.celery import app as celery_app
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.queues import events_queue, notifications_queue
from tests.chaos import flows, hooks, killing
from tests.e2e import journey
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(databases="__all__", transaction=True)]

FLOOD = 5_000


def _relayed(pros: list[journey.Person]) -> bool:
    mine = OutboxEvent.objects.using("default").filter(
        event_type="auth_ctx.user_registered.v1", envelope__payload__user_id__in=[p.user_id for p in pros]
    )
    return mine.count() == len(pros) and not mine.filter(relayed_at=None).exists()


def _unconfirmed(web_url: str, handler: str) -> float:
    """The publisher's count of deliveries to `handler` not yet confirmed, from /metrics."""
    prefix = f'conectar_eventbus_unconfirmed_deliveries{{context="auth_ctx",handler="{handler}"}} '
    for line in httpx.get(f"{web_url}/metrics", timeout=10).text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def test_a_broker_restarted_empty_loses_no_relayed_delivery(whole, api):
    # Only the relays run: what they send to the subscribers stays queued in the broker.
    whole.kill_worker("domain")
    whole.start_worker("relay")
    before = [journey.register(api, rol="PROFESIONAL", nombre="Ana", apellido=f"Antes{i}") for i in range(4)]
    api.settle(lambda: _relayed(before), "the registrations relayed into the broker")
    queued = redis.Redis(port=whole.broker.port).llen(events_queue("professionals"))
    assert queued >= 1, "the professionals' deliveries wait in the broker"

    whole.broker.restart_empty()  # every queued delivery is gone with it
    assert _unconfirmed(whole.web_url, flows.ON_PROFESSIONAL_REGISTERED) >= len(before)
    whole.kill_worker("relay")
    whole.start_worker("domain")
    after = [journey.register(api, rol="PROFESIONAL", nombre="Ana", apellido=f"Despues{i}") for i in range(2)]

    flows.assert_registered_once(before + after)
    api.settle(lambda: _unconfirmed(whole.web_url, flows.ON_PROFESSIONAL_REGISTERED) == 0, "every delivery confirmed")


def test_a_broker_cut_off_while_people_sign_up_loses_nothing(whole, api):
    pros = []
    started = time.monotonic()
    cut = restored = False
    while time.monotonic() - started < 9:
        elapsed = time.monotonic() - started
        if not cut and elapsed > 1.5:
            whole.cut_broker()  # every process loses its broker connections at once
            cut = True
        if cut and not restored and elapsed > 6.5:
            whole.restore_broker()
            restored = True
        pros.append(journey.register(api, rol="PROFESIONAL", nombre="Ana", apellido=f"Corte{len(pros)}"))
        time.sleep(0.3)
    assert cut
    assert restored

    flows.assert_registered_once(pros, timeout=90)


def test_a_worker_holding_a_delivery_when_the_broker_drops_reconnects(whole, api):
    # The consumer tears its lost connection down with a message still unacknowledged (acks_late):
    # kombu 5.7 restores it through a channel whose transport the teardown had already detached,
    # and an AttributeError there used to end the worker (conectar/platform/broker_transport.py).
    domain = whole.processes["domain"]
    with killing.held_at(whole, hooks.RELAYED, handler=flows.ON_PROFESSIONAL_REGISTERED):
        held = journey.register(api, rol="PROFESIONAL", nombre="Ana", apellido="Retenida")
    whole.cut_broker()
    domain.wait_for(lambda: "Connection to broker lost" in domain.text(), what="the worker seeing its broker gone")
    whole.restore_broker()

    later = journey.register(api, rol="PROFESIONAL", nombre="Ana", apellido="Despues")
    flows.assert_registered_once([later], timeout=30)  # the worker's other process, after reconnecting
    assert domain.popen.poll() is None, f"the domain worker ended (log: {domain.log})"
    whole.kill_worker("domain")  # its held process sleeps on; the next worker takes the delivery again
    whole.start_worker("domain")
    flows.assert_registered_once([held, later])


def test_a_flood_of_notification_deliveries_does_not_delay_a_new_professional(whole, api):
    queue = notifications_queue("email")
    with celery_app.connection_for_write(whole.env["CELERY_BROKER_URL"]) as connection:
        for _ in range(FLOOD):
            celery_app.send_task(
                "notifications.deliver", args=[str(uuid.uuid4()), "email"], queue=queue, connection=connection
            )
    broker = redis.Redis(port=whole.broker.port)
    try:
        assert broker.llen(queue) > FLOOD / 2, "the deliveries are still queued while the professional signs up"

        pro = journey.register(api, rol="PROFESIONAL", nombre="Rosa", apellido="Apurada")
        wait_until(lambda: flows.professional_profile(pro), timeout=2, message="the profile within 2 s of the sign-up")
        located = pro.put("/professional/location", json={"latitude": -34.58, "longitude": -58.42})
        assert located.status_code == 200, located.text
    finally:
        broker.delete(queue)  # the next test's mails need not wait behind these
