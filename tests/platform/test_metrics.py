"""GET /metrics after short scripted runs: HTTP requests by route template, database queries per
alias and per request, Celery tasks by name and outcome (inline and through a real prefork worker
with PROMETHEUS_MULTIPROC_DIR), the outbox backlog and dead letters read from the context
databases, breaker states, open WebSockets; every series the Grafana dashboard reads; and who may
read it in production."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from conectar.asgi import application
from conectar.celery import app as celery_app
from conectar.platform import breakers
from conectar.platform.eventbus.models import DeadLetter, OutboxEvent
from conectar.platform.events import publish
from tests.marketplace.helpers import new_pair
from tests.support import worker as harness
from tests.support.network import unused_port
from tests.support.probe.contracts import ProbePinged
from tests.support.waiting import wait_until

PUBLIC_PROFILE = "/api/v1/public/professional/<professional_id>"
DASHBOARD = harness.ROOT / "docker" / "grafana" / "dashboards" / "conectar.json"

Samples = dict[tuple[str, frozenset], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **extra) -> Samples:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def value(samples: Samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(after: Samples, before: Samples, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- Tasks run inline by the tests below (the worker test uses a real task of the event bus) ------


@celery_app.task(name="tests.metrics.succeeds")
def succeeds():
    return "ok"


@celery_app.task(name="tests.metrics.fails")
def fails():
    raise RuntimeError("planned failure")


@celery_app.task(bind=True, name="tests.metrics.retries_once", max_retries=1)
def retries_once(self):
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return "second time lucky"


class ProviderDown(Exception):
    pass


def provider_down():
    raise ProviderDown("503")


# --- HTTP ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_requests_are_counted_by_route_template_method_and_status_with_latency(client):
    unknown = uuid.uuid4()
    before = scrape(client)
    for _ in range(2):
        assert client.get(f"/api/v1/public/professional/{unknown}").status_code == 404
    assert client.get("/health/live").status_code == 200
    assert client.post("/health/live").status_code == 405
    assert client.get(f"/no/such/page/{unknown}").status_code == 404
    after = scrape(client)

    requests = "conectar_http_requests_total"
    assert delta(after, before, requests, route=PUBLIC_PROFILE, method="GET", status="404") == 2
    assert delta(after, before, requests, route="/health/live", method="GET", status="200") == 1
    assert delta(after, before, requests, route="/health/live", method="POST", status="405") == 1
    assert delta(after, before, requests, route="unmatched", method="GET", status="404") == 1
    latency = "conectar_http_request_duration_seconds"
    assert delta(after, before, f"{latency}_count", route=PUBLIC_PROFILE, method="GET") == 2
    assert delta(after, before, f"{latency}_sum", route=PUBLIC_PROFILE, method="GET") > 0
    assert delta(after, before, f"{latency}_bucket", route=PUBLIC_PROFILE, method="GET", le="+Inf") == 2
    # Route templates only: no raw path or id ever becomes a label value.
    label_values = {v for (_, labels) in after for _, v in labels}
    assert not any(str(unknown) in v for v in label_values)


@pytest.mark.django_db(databases="__all__")
def test_database_queries_are_counted_per_alias_and_per_request(client):
    before = scrape(client)
    with connections["payments"].cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT 1")
    assert client.get(f"/api/v1/public/professional/{uuid.uuid4()}").status_code == 404
    after = scrape(client)

    queries = "conectar_db_query_duration_seconds"
    assert delta(after, before, f"{queries}_count", alias="payments") >= 3
    assert delta(after, before, f"{queries}_sum", alias="payments") > 0
    # The profile lookup: one request, at least one query in the professionals database.
    assert delta(after, before, "conectar_http_request_db_queries_count", route=PUBLIC_PROFILE) == 1
    assert delta(after, before, "conectar_http_request_db_queries_sum", route=PUBLIC_PROFILE) >= 1
    assert delta(after, before, "conectar_http_request_db_seconds_sum", route=PUBLIC_PROFILE) > 0
    assert delta(after, before, f"{queries}_count", alias="professionals") >= 1
    # /health/live touches no database: its requests count, with zero queries.
    before = scrape(client)
    client.get("/health/live")
    after = scrape(client)
    assert delta(after, before, "conectar_http_request_db_queries_count", route="/health/live") == 1
    assert delta(after, before, "conectar_http_request_db_queries_sum", route="/health/live") == 0


# --- Celery --------------------------------------------------------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_tasks_are_counted_by_name_and_outcome_with_duration(client):
    before = scrape(client)
    succeeds.apply()
    succeeds.apply()
    fails.apply()
    retries_once.apply()
    after = scrape(client)

    tasks = "conectar_celery_tasks_total"
    assert delta(after, before, tasks, task="tests.metrics.succeeds", outcome="success") == 2
    assert delta(after, before, tasks, task="tests.metrics.fails", outcome="failure") == 1
    assert delta(after, before, tasks, task="tests.metrics.retries_once", outcome="retry") == 1
    assert delta(after, before, tasks, task="tests.metrics.retries_once", outcome="success") == 1
    duration = "conectar_celery_task_duration_seconds"
    assert delta(after, before, f"{duration}_count", task="tests.metrics.succeeds") == 2
    assert delta(after, before, f"{duration}_sum", task="tests.metrics.succeeds") > 0


QUEUE = "metrics-test"


def _worker_samples(port: int) -> Samples | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return parse(response.read().decode())
    except OSError:
        return None


@pytest.mark.django_db(databases="__all__")
def test_a_prefork_worker_serves_the_task_and_query_metrics_of_its_children(tmp_path):
    """A real `celery worker --pool=prefork` with PROMETHEUS_MULTIPROC_DIR and CELERY_METRICS_PORT:
    its children run the tasks, its main process answers for all of them. Its own queue keeps the
    shared test worker out."""
    port = unused_port()
    env = {
        **os.environ,
        **harness.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(harness.ROOT),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "CELERY_METRICS_PORT": str(port),
    }
    cmd = [
        sys.executable,
        *("-m", "celery", "-A", "conectar", "worker", "--pool=prefork", "--concurrency=2", "-Q", QUEUE),
        *("--without-gossip", "--without-mingle", "--loglevel=INFO", f"--hostname=metrics-{os.getpid()}@%h"),
    ]
    log_path = harness.ROOT / "test-artifacts" / "metrics-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("ab") as log:
        worker = subprocess.Popen(cmd, cwd=harness.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(
            lambda: worker.poll() is not None or _worker_samples(port) is not None,
            message=f"the worker's metrics endpoint (log: {log_path})",
        )
        assert worker.poll() is None, f"the worker exited; see {log_path}"
        for _ in range(4):
            celery_app.send_task("eventbus.relay_outbox", args=["marketplace"], queue=QUEUE)

        task = "eventbus.relay_outbox"
        samples = wait_until(
            lambda: (
                (s := _worker_samples(port))
                and value(s, "conectar_celery_tasks_total", task=task, outcome="success") == 4
                and value(s, "conectar_celery_task_duration_seconds_count", task=task) == 4
                and s
            ),
            message=f"four relay tasks counted and timed by the worker's endpoint (log: {log_path})",
        )
        # The children's database queries (the relay reads the outbox) are summed in too.
        assert value(samples, "conectar_db_query_duration_seconds_count", alias="marketplace") >= 4
        assert len(list(Path(tmp_path).glob("counter_*.db"))) >= 2  # the main process's and a child's
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# --- Event bus, breakers, sockets ----------------------------------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_outbox_backlog_oldest_age_and_dead_letters_per_context(client):
    before = scrape(client)
    with transaction.atomic(using="marketplace"):  # the test's transaction never commits: it stays pending
        publish(ProbePinged(label="metrics"))
        publish(ProbePinged(label="metrics again"))
    OutboxEvent.objects.using("marketplace").filter(relayed_at=None).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    for status in (DeadLetter.Status.DEAD, DeadLetter.Status.REDRIVEN):
        DeadLetter.objects.using("notifications").create(
            event_id=uuid.uuid4(),
            event_type="marketplace.probe_pinged.v1",
            handler="tests.metrics.handler",
            envelope={},
            attempts=3,
            last_error="RuntimeError: planned",
            status=status,
            died_at=timezone.now(),
        )
    after = scrape(client)

    assert delta(after, before, "conectar_outbox_pending_events", context="marketplace") == 2
    assert value(after, "conectar_outbox_oldest_pending_age_seconds", context="marketplace") >= 600
    assert delta(after, before, "conectar_eventbus_dead_letters", context="notifications") == 1  # not the re-driven
    contexts = {"auth_ctx", "users", "professionals", "marketplace", "payments", "notifications"}
    for name in ("conectar_outbox_pending_events", "conectar_eventbus_dead_letters"):
        assert {dict(labels)["context"] for (n, labels) in after if n == name} == contexts


@pytest.mark.django_db(databases="__all__")
def test_circuit_breaker_states(client):
    cb = breakers.breaker("metrics-probe")
    assert value(scrape(client), "conectar_circuit_breaker_state", breaker="metrics-probe") == 0
    try:
        for _ in range(cb.fail_max):
            with pytest.raises(ProviderDown):
                breakers.guarded_call(cb, provider_down)
        assert breakers.states()["metrics-probe"] == "open"
        assert value(scrape(client), "conectar_circuit_breaker_state", breaker="metrics-probe") == 2
    finally:
        breakers.reset_all()
    assert value(scrape(client), "conectar_circuit_breaker_state", breaker="metrics-probe") == 0


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_open_websockets_are_counted_from_accept_to_close(client):
    pair = new_pair(client)
    read = sync_to_async(lambda: value(scrape(client), "conectar_websockets_open"))

    async def scenario():
        idle = await read()
        sockets = [
            WebsocketCommunicator(application, f"/ws/chat/{pair.chat_id}/?token={token}")
            for token in (pair.cliente.access, pair.pro.session.access)
        ]
        for communicator in sockets:
            ok, _ = await communicator.connect(timeout=5)
            assert ok
            assert (await communicator.receive_json_from(timeout=5))["type"] == "ready"
        assert await read() == idle + 2
        await sockets[0].disconnect()
        assert await read() == idle + 1
        refused = WebsocketCommunicator(application, f"/ws/chat/{pair.chat_id}/?token=no-es-un-jwt")
        await refused.connect(timeout=5)
        assert (await refused.receive_output(timeout=5))["code"] == 4401
        assert await read() == idle + 1  # accepted, then closed by the server: no longer open
        await refused.disconnect()
        await sockets[1].disconnect()
        assert await read() == idle

    async_to_sync(scenario)()


# --- The dashboard's series, access -------------------------------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_every_series_the_dashboard_reads_is_exposed_after_a_short_run(client):
    client.get(f"/api/v1/public/professional/{uuid.uuid4()}")
    succeeds.apply()
    breakers.breaker("metrics-probe")
    exposed = {name for name, _ in scrape(client)}

    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    read = {name for expr in expressions for name in re.findall(r"\bconectar_[a-z_]+", expr)}
    assert read, "the dashboard reads no conectar_* series"
    assert sorted(read - exposed) == []
    assert "conectar_ratelimit_redis_errors_total" in read  # the limiter's fail-open alarm is on it too


@pytest.mark.django_db(databases="__all__")
def test_metrics_are_not_public_in_production(client, settings):
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    nobody = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert nobody.status_code == 404
    assert nobody.json()["code"] == "not_found"

    settings.METRICS_TOKEN = "un-token-largo-de-prometheus"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer otro-token"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Basic un-token-largo-de-prometheus"}).status_code == 404
    allowed = client.get("/metrics", headers={"Authorization": "Bearer un-token-largo-de-prometheus"})
    assert allowed.status_code == 200
    assert b"conectar_http_requests_total" in allowed.content

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 404
    # A forwarded header is the client's word, not its address.
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 404


@pytest.mark.django_db(databases="__all__")
def test_metrics_are_open_outside_production(client, settings):
    settings.PRODUCTION = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 200
