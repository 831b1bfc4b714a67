#!/bin/sh
# Roles of the one image. Production splits HTTP (gunicorn, WSGI) from WebSockets (daphne, ASGI).
set -e
# Multiprocess metrics files of an earlier run of this container would be added to this one's.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then rm -rf "$PROMETHEUS_MULTIPROC_DIR"; mkdir -p "$PROMETHEUS_MULTIPROC_DIR"; fi
case "$1" in
  # gthread: keep-alive connections, which the services' facade calls reuse (bench/split.py: a sync
  # worker closes each one, and a new TCP connection per call doubled the remote call's p99).
  web)       exec gunicorn -c python:conectar.platform.metrics.gunicorn conectar.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_WORKERS:-2}" --worker-class gthread --threads "${WEB_THREADS:-4}" --keep-alive 30 --access-logfile - ;;
  websocket) exec daphne -b 0.0.0.0 -p 8001 conectar.asgi:application ;;
  # Workers per queue (conectar/platform/queues.py): the domain (events, relays, context tasks) and
  # the notification deliveries, so neither waits behind the other. WORKER_QUEUES overrides the list.
  worker)    exec celery -A conectar worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "domain@%h" -Q "${WORKER_QUEUES:-$(python manage.py celery_queues domain)}" ;;
  notifier)
    queues="${WORKER_QUEUES:-$(python manage.py celery_queues deliveries)}"
    # Nothing to send here when notifications runs as its own service (split): stay up, idle.
    if [ -z "$queues" ]; then echo "notifications is lifted: its own worker sends"; exec sleep infinity; fi
    exec celery -A conectar worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "notifications@%h" -Q "$queues" ;;
  beat)      exec celery -A conectar beat --loglevel=INFO --schedule /tmp/celerybeat-schedule ;;
  # A lifted context's worker (CONECTAR_SERVICE set): all of its queues, and its own beat.
  service-worker) exec celery -A conectar worker --beat --schedule /tmp/celerybeat-schedule --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" -n "${CONECTAR_SERVICE:?}@%h" -Q "$(python manage.py celery_queues all)" ;;
  migrate)   python manage.py setup_databases && exec python manage.py setup_storage ;;
  *)         exec "$@" ;;
esac
