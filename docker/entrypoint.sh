#!/bin/sh
# Roles of the one image. Production splits HTTP (gunicorn, WSGI) from WebSockets (daphne, ASGI).
set -e
case "$1" in
  web)       exec gunicorn conectar.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_WORKERS:-2}" --access-logfile - ;;
  websocket) exec daphne -b 0.0.0.0 -p 8001 conectar.asgi:application ;;
  worker)    exec celery -A conectar worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" ;;
  beat)      exec celery -A conectar beat --loglevel=INFO --schedule /tmp/celerybeat-schedule ;;
  migrate)   exec python manage.py setup_databases ;;
  *)         exec "$@" ;;
esac
