"""The production HTTP server's settings: `gunicorn -c python:conectar.platform.metrics.gunicorn …`
(docker/entrypoint.sh's `web` role, and bench/gateway.py, which measures this very configuration).

- gthread workers with keep-alive: clients (the TLS proxy, the services' facade calls) reuse their
  connections; a sync worker closes each one, and a new TCP connection per call doubled the remote
  call's p99 (bench/split.py) and costs the gateway a connect and an accept per request.
- `WEB_WORKERS` processes (2) x `WEB_THREADS` threads (4): threads overlap the round trips to Redis
  and PostgreSQL; more processes use more cores.
- The access log on stdout, as before.
- SO_REUSEPORT: each worker listens on its own socket and the kernel spreads new connections over
  them by address hash. On one shared socket the worker that woke first took a burst of kept-alive
  connections: 16 opened at once split 1/15 or 0/16 in 9 of 15 tries, 6/10 to 8/8 in 13 of 15 with a
  socket each (2 workers), and bench/search.py had seen one worker 100 % busy while the other idled.
  The price: connections still queued in a dying worker's backlog are reset. A unix socket cannot be
  shared that way (each worker would unlink the path and bind its own), so such a bind keeps the one
  socket the arbiter opens.

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
