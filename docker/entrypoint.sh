#!/bin/sh
# Roles of the one image. Production splits HTTP (gunicorn, WSGI) from WebSockets (daphne, ASGI).
#   web | websocket | worker | notifier | beat | service-worker   long-running
#   migrate (create and migrate the databases) | setup-storage (the buckets)   one-shot jobs
#   healthcheck [role]   the image's HEALTHCHECK and the orchestrators' exec probes
set -e

# Celery node names: `celery inspect ping` in the healthcheck asks the node of this container by name
# (the host part as Celery's %h: socket.gethostname()).
node_of() {
  host=$(python -c 'import socket; print(socket.gethostname())')
  case "$1" in
    worker) echo "domain@$host" ;;
    notifier) echo "notifications@$host" ;;
    service-worker) echo "${CONECTAR_SERVICE:?}@$host" ;;
  esac
}

# Web roles: /health/live says the process answers (readiness, /health/ready, is the orchestrator's
# to ask: a database outage must not restart every web process). Host `localhost`, which
# ALLOWED_HOSTS must list, as the Kubernetes probes send too.
if [ "$1" = healthcheck ]; then
  role="${2:-$(cat /tmp/conectar-role 2>/dev/null || echo none)}"
  case "$role" in
    web) port=8000 ;;
    websocket) port=8001 ;;
    # Not in the metrics directory: a probe's process would leave its files among the worker's.
    worker|notifier|service-worker)
      exec env -u PROMETHEUS_MULTIPROC_DIR celery -A conectar inspect ping --timeout 10 --destination "$(node_of "$role")" >/dev/null ;;
    *) exit 0 ;;  # beat and the one-shot roles: the process being there is the health
  esac
  exec python -c 'import sys, urllib.request as u; u.urlopen(u.Request(f"http://127.0.0.1:{sys.argv[1]}/health/live", headers={"Host": "localhost"}), timeout=5)' "$port"
fi

echo "$1" > /tmp/conectar-role 2>/dev/null || true  # for a healthcheck run without its role
# Multiprocess metrics files of an earlier run of this container would be added to this one's.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then rm -rf "$PROMETHEUS_MULTIPROC_DIR"; mkdir -p "$PROMETHEUS_MULTIPROC_DIR"; fi
case "$1" in
  # The server's settings (gthread, WEB_WORKERS x WEB_THREADS, keep-alive, access log) are in the
  # config module, which bench/gateway.py runs too: production is what gets measured.
  web)       exec gunicorn -c python:conectar.platform.metrics.gunicorn conectar.wsgi:application ;;
  websocket) exec daphne -b 0.0.0.0 -p 8001 conectar.asgi:application ;;
  # Workers per queue (conectar/platform/queues.py): the domain (events, relays, context tasks) and
  # the notification deliveries, so neither waits behind the other. WORKER_QUEUES overrides the list.
  worker)    exec celery -A conectar worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "$(node_of worker)" -Q "${WORKER_QUEUES:-$(python manage.py celery_queues domain)}" ;;
  notifier)
    queues="${WORKER_QUEUES:-$(python manage.py celery_queues deliveries)}"
    # Nothing to send here when notifications runs as its own service (split): stay up, idle.
    if [ -z "$queues" ]; then echo "notifications is lifted: its own worker sends"; echo idle > /tmp/conectar-role; exec sleep infinity; fi
    exec celery -A conectar worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "$(node_of notifier)" -Q "$queues" ;;
  beat)      exec celery -A conectar beat --loglevel=INFO --schedule /tmp/celerybeat-schedule ;;
  # A lifted context's worker (CONECTAR_SERVICE set): all of its queues, and its own beat.
  service-worker) exec celery -A conectar worker --beat --schedule /tmp/celerybeat-schedule --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "$(node_of service-worker)" -Q "$(python manage.py celery_queues all)" ;;
  # Before every rollout (a Job in Kubernetes, a one-shot service in compose): databases, then buckets.
  migrate)   exec python manage.py setup_databases ;;
  setup-storage) exec python manage.py setup_storage ;;
  *)         exec "$@" ;;
esac
