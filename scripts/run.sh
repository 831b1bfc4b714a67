#!/usr/bin/env bash
# `make run`: the whole system on this machine — web (HTTP + WebSocket), a Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run

export CONECTAR_ENV=${CONECTAR_ENV:-development}
export PORT=${PORT:-8000}
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

# Demo accounts (defaults also in conectar/devtools/demo/credentials.py; seed_demo and seed_demo_deals
# are development tools, there with CONECTAR_ENV=development). The demo data — the
# cliente, the professional, 200 approved professionals around Buenos Aires, Córdoba and Rosario
# and 4 waiting in the KYC queue — is loaded once (a re-run creates nothing); DEMO_DATA=0 skips it.
export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@conectar.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-Conectar-Admin-2026}
export DEMO_CLIENTE_EMAIL=${DEMO_CLIENTE_EMAIL:-cliente@conectar.local}
export DEMO_PROFESIONAL_EMAIL=${DEMO_PROFESIONAL_EMAIL:-profesional@conectar.local}
export DEMO_PASSWORD=${DEMO_PASSWORD:-Conectar-Demo-2026}
if [ "${DEMO_DATA:-1}" = "0" ]; then
  .venv/bin/python manage.py createadmin
  demo="  Demo data      skipped (DEMO_DATA=0)"
else
  .venv/bin/python manage.py seed_demo  # the admin too
  demo="  Demo cliente   $DEMO_CLIENTE_EMAIL / $DEMO_PASSWORD
  Demo pro       $DEMO_PROFESIONAL_EMAIL / $DEMO_PASSWORD   (approved, Palermo, with a portfolio)
  More pros      profesional001@demo.conectar.local … profesional200@demo.conectar.local (approved),
                 pendiente1@demo.conectar.local … pendiente4@demo.conectar.local (KYC queue), same password"
fi

# SPLIT=payments,notifications: those contexts run as their own services (a web server and a worker
# with its own beat each, on PORT+1, PORT+2, …) behind this gateway's routes; every process of the
# gateway side finds them through <CTX>_SERVICE_URL (README § Running a context as its own service).
split_lines=()
split_info=""
if [ -n "${SPLIT:-}" ]; then
  offset=0
  for ctx in ${SPLIT//,/ }; do
    offset=$((offset + 1))
    export "$(echo "$ctx" | tr '[:lower:]' '[:upper:]')_SERVICE_URL=http://127.0.0.1:$((PORT + offset))"
  done
  export GATEWAY_SERVICE_URL="http://127.0.0.1:$PORT"
  offset=0
  for ctx in ${SPLIT//,/ }; do
    offset=$((offset + 1))
    service="env CONECTAR_SERVICE=$ctx"
    CONECTAR_SERVICE=$ctx .venv/bin/python manage.py setup_databases >/dev/null  # its own database only
    queues=$(CONECTAR_SERVICE=$ctx .venv/bin/python manage.py celery_queues all)
    split_lines+=("$ctx: $service .venv/bin/daphne -b 127.0.0.1 -p $((PORT + offset)) conectar.asgi:application")
    split_lines+=("$ctx-worker: $service .venv/bin/celery -A conectar worker --beat --schedule=var/celerybeat-schedule-$ctx --loglevel=INFO --concurrency=2 -n $ctx@%h -Q $queues")
    split_info="$split_info
  Service $ctx  http://127.0.0.1:$((PORT + offset))/   (its own process and worker; reached through the gateway's routes)"
  done
fi

procfile=var/Procfile
echo "web: .venv/bin/daphne -b 127.0.0.1 -p $PORT conectar.asgi:application" > "$procfile"
for line in "${split_lines[@]}"; do echo "$line" >> "$procfile"; done
if [ "${MERCADOPAGO_SANDBOX:-}" = "true" ]; then
  echo "mercadopago: .venv/bin/python -m conectar.devtools.sandbox --host 127.0.0.1 --port $MP_SANDBOX_PORT --webhook-secret $MERCADOPAGO_WEBHOOK_SECRET" >> "$procfile"
  payments="MercadoPago sandbox  http://127.0.0.1:$MP_SANDBOX_PORT/   (checkout pages; staff may also use /admin/trabajo/{id}/simular-pago)"
else
  payments="MercadoPago          $MERCADOPAGO_BASE_URL (real credentials from the environment)"
fi
if [ -n "${REDIS_URL:-}" ] || [ -n "${CELERY_BROKER_URL:-}" ]; then
  # Two workers so both kinds of work progress at once: domain events and tasks (a queue per
  # context, a relay queue per outbox), and notification deliveries (a queue per channel).
  echo "worker: .venv/bin/celery -A conectar worker --loglevel=INFO --concurrency=2 -n domain@%h -Q $(.venv/bin/python manage.py celery_queues domain)" >> "$procfile"
  # Deliveries yield the CPU to the domain (nice): a flood of mails never slows a payment down.
  deliveries=$(.venv/bin/python manage.py celery_queues deliveries)
  if [ -n "$deliveries" ]; then  # none here when notifications is lifted (SPLIT): its service sends
    echo "notifier: nice -n 10 .venv/bin/celery -A conectar worker --loglevel=INFO --concurrency=2 -n notifications@%h -Q $deliveries" >> "$procfile"
  fi
  echo "beat: .venv/bin/celery -A conectar beat --loglevel=INFO --schedule=var/celerybeat-schedule" >> "$procfile"
  mode="Redis at $REDIS_URL: cache, channel layer and Celery broker; a domain worker, a notifications worker and beat running"
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
  KYC queue      http://127.0.0.1:$PORT/admin/professionals/professional/
  Dev messages   http://127.0.0.1:$PORT/admin/notifications/devmessage/   (or .venv/bin/python manage.py latest_messages -n 10)
  Health         http://127.0.0.1:$PORT/health/ready
  WebSockets     ws://127.0.0.1:$PORT/ws/
  $payments$split_info

  Demo admin     $ADMIN_EMAIL / $ADMIN_PASSWORD   (Django admin and the API)
$demo

  Ctrl-C stops everything.

TXT
# The demo pair's chat, ofertas and trabajos in every state: money moves through the sandbox and the
# workers, so this runs once the web server answers (idempotent; DEMO_DATA=0 skips it).
if [ "${DEMO_DATA:-1}" != "0" ] && [ "${MERCADOPAGO_SANDBOX:-}" = "true" ] && grep -q '^worker:' "$procfile"; then
  ready=("http://127.0.0.1:$PORT/health/ready")
  for ctx in ${SPLIT//,/ }; do ready+=("$(printenv "$(echo "$ctx" | tr '[:lower:]' '[:upper:]')_SERVICE_URL")/health/ready"); done
  .venv/bin/python manage.py seed_demo_deals "${ready[@]/#/--wait-ready=}" &
fi
exec .venv/bin/honcho start -f "$procfile"
