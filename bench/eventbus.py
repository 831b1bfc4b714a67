"""Event-bus bench: what publishing adds to a request, and how fast the relay drains an outbox.

    .venv/bin/python bench/eventbus.py [--requests 2000] [--events 5000]

1. Publish cost: POST /api/v1/probe/ninja/items in-process through the whole middleware stack,
   alternating blocks of requests that write a row and publish an event with blocks that only
   write the row. Reports p50/p95 of both and the difference (goal: publish adds <= 1 ms at p95).
2. Relay throughput: one worker (prefork, 2 processes) running, N events committed in one
   transaction; events/s from that commit until every handler ran (the listener relays on the
   commit; each delivery recorded, handled and confirmed back to the publisher). Baseline in the
   same run: the same N one-row writes enqueued as plain Celery tasks to the same worker (goal
   >= 1,000 events/s).
3. Latency under a notification flood: a domain worker and a notifications worker started per queue
   as `make run` does, 5,000 notification deliveries queued, then events published at 100/s;
   publish -> handler p50/p99 (goal p99 <= 200 ms). Baseline in the same run: the same rate with
   nothing queued.

Runs on its own databases (conectar_bench_*) and Redis db 13, so it never touches dev or test data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_bench")
os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/13"
os.environ["DB_CONN_MAX_AGE"] = "600"

import django

django.setup()

import redis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from conectar.celery import app
from conectar.platform.eventbus.models import OutboxEvent, ProcessedEvent
from conectar.platform.events import publish
from conectar.platform.queues import delivery_queues, domain_queues, notifications_queue
from tests.support.accounts import access_token_for
from tests.support.probe.contracts import ProbeCounted
from tests.support.probe.models import ProbeEffect
from tests.support.probe.tasks import write_row
from tests.support.worker import CeleryWorker


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def reset_tables() -> None:
    for alias in ("marketplace", "payments"):
        OutboxEvent.objects.using(alias).all().delete()
        ProcessedEvent.objects.using(alias).all().delete()
        ProbeEffect.objects.using(alias).all().delete()
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()


def bench_publish_cost(requests: int) -> None:
    user, _ = get_user_model().objects.get_or_create(email="bench@example.com", defaults={"role": "CLIENTE"})
    client = Client(headers={"Authorization": f"Bearer {access_token_for(user)}"})
    timings: dict[bool, list[float]] = {True: [], False: []}
    block = 100  # alternate in blocks, so the nudges a block sends cost that block, not the next
    for i in range(requests * 2 + 2 * block):
        with_event = (i // block) % 2 == 0
        start = time.perf_counter()
        response = client.post(
            "/api/v1/probe/ninja/items",
            {"name": f"item-{i}", "count": i, "publish": with_event},
            content_type="application/json",
        )
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"bench request failed: {response.status_code} {response.content!r}")
        if i >= 2 * block:  # warm-up discarded
            timings[with_event].append(elapsed)
    print(f"\n== publish cost: {requests} requests each, in-process, alternating blocks of {block}")
    print(f"{'':22}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for label, key in (("row only (baseline)", False), ("row + publish", True)):
        s = timings[key]
        print(f"{label:22}{percentile(s, 50):10.3f}{percentile(s, 95):10.3f}{statistics.fmean(s):10.3f}")
    p95_delta = percentile(timings[True], 95) - percentile(timings[False], 95)
    p50_delta = percentile(timings[True], 50) - percentile(timings[False], 50)
    ratio = percentile(timings[True], 95) / percentile(timings[False], 95)
    print(f"publish adds {p50_delta:.3f} ms at p50, {p95_delta:.3f} ms at p95 (goal <= 1 ms); p95 ratio {ratio:.2f}x")


def wait_for(count_fn, target: int, timeout: float = 600) -> float:
    start = time.perf_counter()
    while count_fn() < target:
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"only {count_fn()} of {target} after {timeout}s")
        time.sleep(0.02)
    return time.perf_counter() - start


def bench_relay(events: int) -> None:
    reset_tables()
    worker = CeleryWorker(
        broker_url=os.environ["CELERY_BROKER_URL"],
        log_path=ROOT / "var" / "bench-worker.log",
        beat=False,
        extra_env={"DB_POOL_SIZE": "1"},
    )
    (ROOT / "var").mkdir(exist_ok=True)
    worker.start(app)
    try:
        # All N in one transaction: the worker's outbox listener hears one commit and relays from there.
        with transaction.atomic(using="marketplace"):
            for n in range(events):
                publish(ProbeCounted(n=n))
        relay_seconds = wait_for(lambda: ProcessedEvent.objects.using("payments").count(), events)

        start = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for n in range(events):
                write_row.apply_async(args=[n], producer=producer)
        wait_for(lambda: ProbeEffect.objects.using("payments").filter(handler="baseline").count(), events)
        baseline_seconds = time.perf_counter() - start
    finally:
        worker.stop()
    relay_rate, baseline_rate = events / relay_seconds, events / baseline_seconds
    print(f"\n== relay throughput: {events} events, one worker (prefork, 2 processes)")
    print(f"outbox -> handler (relay + dedupe + handler): {relay_rate:8.0f} events/s ({relay_seconds:.2f} s)")
    print(f"baseline: same row write as plain tasks:       {baseline_rate:8.0f} tasks/s ({baseline_seconds:.2f} s)")
    print(f"ratio relay/baseline: {relay_rate / baseline_rate:.2f}x (goal >= 1,000 events/s)")


def _paced_latencies(events: int, rate: float) -> list[float]:
    """Publish `events` ProbeCounted at `rate`/s, each in its own transaction; ms from the outbox
    row to the handler's row, once every one was handled."""
    first = OutboxEvent.objects.using("marketplace").order_by("-id").values_list("id", flat=True).first() or 0
    start = time.perf_counter()
    for n in range(events):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        with transaction.atomic(using="marketplace"):
            publish(ProbeCounted(n=n))
    published = {
        str(e): c
        for e, c in OutboxEvent.objects.using("marketplace").filter(id__gt=first).values_list("event_id", "created_at")
    }
    wait_for(lambda: ProbeEffect.objects.using("payments").filter(event_id__in=list(published)).count(), events)
    handled = (
        ProbeEffect.objects.using("payments").filter(event_id__in=list(published)).values_list("event_id", "created_at")
    )
    return [(at - published[str(e)]).total_seconds() * 1000 for e, at in handled]


NOTIFIER_NICE = int(os.environ.get("BENCH_NOTIFIER_NICE", "10"))  # as `make run` starts it


def bench_latency_under_flood(events: int, flood: int, rate: float = 100.0) -> None:
    reset_tables()
    (ROOT / "var").mkdir(exist_ok=True)
    broker = os.environ["CELERY_BROKER_URL"]
    production = {"DB_POOL_SIZE": "1"}
    domain = CeleryWorker(
        broker_url=broker,
        log_path=ROOT / "var" / "bench-domain.log",
        beat=True,
        queues=domain_queues(),
        extra_env=production,
    )
    notifier = CeleryWorker(
        broker_url=broker,
        log_path=ROOT / "var" / "bench-notifier.log",
        beat=False,
        queues=delivery_queues(),
        extra_env=production,
        nice=NOTIFIER_NICE,
    )
    domain.start(app)
    notifier.start(app)
    try:
        quiet = _paced_latencies(events, rate)
        queue = notifications_queue("email")
        with app.producer_or_acquire() as producer:
            for _ in range(flood):
                app.send_task(
                    "notifications.deliver", args=[str(uuid.uuid4()), "email"], queue=queue, producer=producer
                )
        queued = redis.Redis.from_url(broker).llen(queue)
        flooded = _paced_latencies(events, rate)
        left = redis.Redis.from_url(broker).llen(queue)
    finally:
        notifier.stop()
        domain.stop()
    print(
        f"\n== publish -> handler at {rate:.0f} events/s, {events} events each; domain worker and "
        f"notifications worker (nice {NOTIFIER_NICE})"
    )
    print(f"{'':34}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, samples in (("nothing queued (baseline)", quiet), (f"{flood} deliveries queued", flooded)):
        print(f"{label:34}{percentile(samples, 50):10.1f}{percentile(samples, 99):10.1f}{max(samples):10.1f}")
    print(f"deliveries queued when the events started: {queued}; still queued when they were all handled: {left}")
    ratio = percentile(flooded, 99) / percentile(quiet, 99)
    print(f"p99 under the flood / baseline: {ratio:.2f}x (goal: p99 <= 200 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--paced", type=int, default=1000, help="events published at 100/s, per phase")
    parser.add_argument("--flood", type=int, default=5000, help="notification deliveries queued")
    parser.add_argument("--only", choices=["publish", "relay", "latency"], help="run one part")
    args = parser.parse_args()
    call_command("setup_databases", verbosity=0)
    reset_tables()
    if args.only in (None, "publish"):
        bench_publish_cost(args.requests)
    if args.only in (None, "relay"):
        bench_relay(args.events)
    if args.only in (None, "latency"):
        bench_latency_under_flood(args.paced, args.flood)


if __name__ == "__main__":
    main()
