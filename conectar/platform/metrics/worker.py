"""Celery task metrics (by task name and outcome, with duration) from the worker's signals, and the
worker's own metrics endpoint.

The hooks run wherever a task runs: in prefork children (which write to PROMETHEUS_MULTIPROC_DIR)
or inline for eager tasks. The worker's main process serves them on CELERY_METRICS_PORT (0: off)."""

from __future__ import annotations

import os
import threading
from time import perf_counter

import structlog
from celery import signals
from django.conf import settings
from prometheus_client import Counter, Histogram, multiprocess, start_http_server

from conectar.platform.metrics.registry import multiprocess_dir, process_registry

log = structlog.get_logger(__name__)

TASKS = Counter(
    "conectar_celery_tasks_total",
    "Celery task runs by task name and outcome (success, failure, retry, ignored, rejected).",
    ["task", "outcome"],
)
DURATION = Histogram(
    "conectar_celery_task_duration_seconds",
    "Celery task run time by task name.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry", "IGNORED": "ignored", "REJECTED": "rejected"}

# task id -> start times; a list because an eager retry runs the same id again inside the first run.
_started: dict[str, list[float]] = {}
_serving = threading.Event()


@signals.task_prerun.connect(dispatch_uid="conectar.metrics.task_prerun")
def _task_started(task_id=None, **_):
    _started.setdefault(task_id, []).append(perf_counter())


@signals.task_postrun.connect(dispatch_uid="conectar.metrics.task_postrun")
def _task_finished(task_id=None, task=None, state=None, **_):
    starts = _started.get(task_id)
    start = starts.pop() if starts else None
    if not starts:
        _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    # Duration first: a scrape between the two (another process reading the files) then never sees
    # a run counted whose duration is missing.
    if start is not None:
        DURATION.labels(name).observe(perf_counter() - start)
    TASKS.labels(name, _OUTCOMES.get(state, "other")).inc()


@signals.worker_ready.connect(dispatch_uid="conectar.metrics.worker_ready")
def _serve_worker_metrics(**_):
    port = settings.CELERY_METRICS_PORT
    if not port or _serving.is_set():
        return
    _serving.set()
    start_http_server(port, addr=settings.CELERY_METRICS_ADDRESS, registry=process_registry())
    log.info("metrics.worker_endpoint", port=port, multiprocess=multiprocess_dir() is not None)


@signals.worker_process_shutdown.connect(dispatch_uid="conectar.metrics.worker_process_shutdown")
def _forget_live_gauges(**_):
    path = multiprocess_dir()
    if path:
        multiprocess.mark_process_dead(os.getpid(), path)
