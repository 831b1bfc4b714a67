"""Prometheus metrics of every process, served at `/metrics` (see `exposition`).

Series (every label is bounded: route templates, aliases, task and breaker names, never raw paths
or ids):

- `conectar_http_requests_total{route,method,status}` and
  `conectar_http_request_duration_seconds{route,method}` (histogram) — `middleware`;
- `conectar_http_request_db_queries{route}` and `conectar_http_request_db_seconds{route}`
  (summaries: `_sum/_count` is the mean per request), `conectar_db_query_duration_seconds{alias}`
  (histogram; its `_count` is the number of queries) — `database`;
- `conectar_celery_tasks_total{task,outcome}` (success | failure | retry | …) and
  `conectar_celery_task_duration_seconds{task}` — `worker`;
- `conectar_outbox_pending_events{context}`, `conectar_outbox_oldest_pending_age_seconds{context}`,
  `conectar_eventbus_dead_letters{context}` — read from each context database at scrape time
  (`collectors`);
- `conectar_circuit_breaker_state{breaker}` (0 closed, 1 half-open, 2 open) — `breakers`;
- `conectar_websockets_open` — `websockets` (an ASGI wrapper around the whole application).

Processes. One process (runserver, daphne, `celery worker --pool=solo|threads`, the tests) keeps
its metrics in memory. Pre-forking servers need `PROMETHEUS_MULTIPROC_DIR` in the environment
(prometheus_client reads it when it is first imported): every process then writes its samples to
files there and whoever serves `/metrics` adds them up.

- gunicorn: its workers share the directory and any worker answers `/metrics` for all of them;
  start gunicorn with `-c python:conectar.platform.metrics.gunicorn` so a dead worker's gauges go.
- Celery prefork: the children write, the main process serves them on `CELERY_METRICS_PORT`.
- Web and worker on one machine may share one directory (pids differ), and then the web's
  `/metrics` shows the tasks as well. In containers pids repeat: each container gets its own
  directory and Prometheus scrapes web, websocket and worker separately (docker/prometheus.yml).
- The directory must be emptied before the service starts (docker/entrypoint.sh does).
"""
