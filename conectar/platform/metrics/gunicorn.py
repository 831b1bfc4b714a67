"""gunicorn settings hooks for multiprocess metrics: `gunicorn -c python:conectar.platform.metrics.gunicorn …`.

A worker that exits leaves its files in PROMETHEUS_MULTIPROC_DIR: counters and histograms must
keep counting its past, but its live gauges (breaker states, open sockets) must go."""

from __future__ import annotations

import os

from prometheus_client import multiprocess


def child_exit(server, worker):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        multiprocess.mark_process_dead(worker.pid, path)
