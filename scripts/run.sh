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

# Payments: unless real MercadoPago credentials are given, the local MercadoPago sandbox plays
# MercadoPago (checkout page, signed webhooks, refunds, payouts) so the demo checkout works offline.
export MP_SANDBOX_PORT=${MP_SANDBOX_PORT:-8765}
if [ -z "${MERCADOPAGO_ACCESS_TOKEN:-}" ]; then
  export MERCADOPAGO_BASE_URL="http://127.0.0.1:$MP_SANDBOX_PORT"
  export MERCADOPAGO_ACCESS_TOKEN=TEST-local-sandbox
  export MERCADOPAGO_WEBHOOK_SECRET=${MERCADOPAGO_WEBHOOK_SECRET:-local-sandbox-webhook-secret}
  export MERCADOPAGO_SANDBOX=true
  # Payouts go out through the sandbox's Money Out too, so the demo shows "transferencia enviada"
  # (a professional without a valid CBU/CVU/alias gets a failed payout staff can see and retry).
  export PAYOUT_PROVIDER=${PAYOUT_PROVIDER:-mercadopago}
  export PUBLIC_API_URL=${PUBLIC_API_URL:-http://127.0.0.1:$PORT}
fi

export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@conectar.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-Conectar-Admin-2026}
.venv/bin/python manage.py createadmin

procfile=var/Procfile
echo "web: .venv/bin/daphne -b 127.0.0.1 -p $PORT conectar.asgi:application" > "$procfile"
if [ "${MERCADOPAGO_SANDBOX:-}" = "true" ]; then
  echo "mercadopago: .venv/bin/python -m conectar.payments.sandbox --host 127.0.0.1 --port $MP_SANDBOX_PORT --webhook-secret $MERCADOPAGO_WEBHOOK_SECRET" >> "$procfile"
  payments="MercadoPago sandbox  http://127.0.0.1:$MP_SANDBOX_PORT/   (checkout pages; staff may also use /admin/trabajo/{id}/simular-pago)"
else
  payments="MercadoPago          $MERCADOPAGO_BASE_URL (real credentials from the environment)"
fi
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
  $payments

  Demo admin     $ADMIN_EMAIL / $ADMIN_PASSWORD   (Django admin and the API)

  Ctrl-C stops everything.

TXT
exec .venv/bin/honcho start -f "$procfile"
