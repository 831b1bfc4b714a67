#!/usr/bin/env bash
# `make run`: the whole system on this machine — web (HTTP + WebSocket), a Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run

export CONECTAR_ENV=${CONECTAR_ENV:-development}
export PORT=${PORT:-8000}
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/conectar}"
if [ -z "${REDIS_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  export REDIS_URL=redis://127.0.0.1:6379/0
fi
mkdir -p var/static

export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@conectar.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-Conectar-Admin-2026}
.venv/bin/python manage.py createadmin

procfile=var/Procfile
echo "web: .venv/bin/daphne -b 127.0.0.1 -p $PORT conectar.asgi:application" > "$procfile"
if [ -n "${REDIS_URL:-}" ] || [ -n "${CELERY_BROKER_URL:-}" ]; then
  echo "worker: .venv/bin/celery -A conectar worker --loglevel=INFO --concurrency=2" >> "$procfile"
  echo "beat: .venv/bin/celery -A conectar beat --loglevel=INFO --schedule=var/celerybeat-schedule" >> "$procfile"
  mode="Redis at $REDIS_URL: cache, channel layer and Celery broker; worker and beat running"
else
  mode="NO REDIS_URL and no Redis on 127.0.0.1:6379: in-process cache and channel layer, events run eagerly inside the web process"
fi

cat <<TXT

  ConectarProfesionales is starting ($CONECTAR_ENV)
  $mode

  API            http://127.0.0.1:$PORT/api/v1/
  API docs       http://127.0.0.1:$PORT/api/v1/docs
  OpenAPI        http://127.0.0.1:$PORT/api/v1/schema
  Django admin   http://127.0.0.1:$PORT/admin/
  Health         http://127.0.0.1:$PORT/health/ready
  WebSockets     ws://127.0.0.1:$PORT/ws/

  Demo admin     $ADMIN_EMAIL / $ADMIN_PASSWORD   (Django admin and the API)

  Ctrl-C stops everything.

TXT
exec .venv/bin/honcho start -f "$procfile"
