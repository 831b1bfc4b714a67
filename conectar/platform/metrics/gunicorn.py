"""The production HTTP server's settings: `gunicorn -c python:conectar.platform.metrics.gunicorn …`
(docker/entrypoint.sh's `web` role, and bench/gateway.py, which measures this very configuration).

- gthread workers with keep-alive: clients (the TLS proxy, the services' facade calls) reuse their
  connections; a sync worker closes each one, and a new TCP connection per call doubled the remote
  call's p99 (bench/split.py) and costs the gateway a connect and an accept per request.
- `WEB_WORKERS` processes (2) x `WEB_THREADS` threads (4): threads overlap the round trips to Redis
  and PostgreSQL; more processes use more cores.
- The access log on stdout, as before.
- SO_REUSEPORT: each worker listens on its own socket and the kernel spreads new connections over
  them. On one shared socket the worker that happened to wake first took the kept-alive connections:
  bench/search.py saw one worker 100 % busy and the other idle (487 req/s against 609 balanced).
  A unix socket cannot be shared that way (each worker would unlink the path and bind its own), so
  such a bind keeps the one socket the arbiter opens.

Plus the hook for multiprocess metrics: a worker that exits leaves its files in
PROMETHEUS_MULTIPROC_DIR: counters and histograms must keep counting its past, but its live gauges
(breaker states, open sockets) must go.
"""

from __future__ import annotations

import os

from prometheus_client import multiprocess

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = int(os.environ.get("WEB_KEEPALIVE_SECONDS", "30"))
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")
reuse_port = True  # TCP only: see on_starting


def on_starting(server):
    # Before the arbiter opens any listener, with --bind from the command line already applied.
    if any(address.startswith(("unix:", "fd://")) for address in server.cfg.bind):
        server.cfg.set("reuse_port", False)


def child_exit(server, worker):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        multiprocess.mark_process_dead(worker.pid, path)
