#!/usr/bin/env bash
# Everything `make run` and `make test` need, installed and started if missing (idempotent):
# Debian packages (as root), PostgreSQL+PostGIS, Redis for tests, the virtualenv, every context
# database migrated. Prints what to install by hand where it cannot do it itself.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-run}"   # run | test
VENV=.venv
say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
is_root() { [ "$(id -u)" = 0 ]; }
have_apt() { command -v apt-get >/dev/null 2>&1; }
missing_debs() { for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done; }
apt_updated=""
apt_install() {
  local need; need=$(missing_debs "$@")
  [ -z "$need" ] && return 0
  if is_root && have_apt; then
    [ -n "$apt_updated" ] || { say "apt-get update"; apt-get update -qq; apt_updated=1; }
    say "installing: $(echo $need)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  else
    say "please install these packages (as root): $(echo $need)"
  fi
}

# --- PostgreSQL + PostGIS --------------------------------------------------------------------
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/conectar}"
local_server=0
case "$DATABASE_URL" in *@127.0.0.1:*|*@localhost:*|*@127.0.0.1/*|*@localhost/*) local_server=1 ;; esac

if [ "$local_server" = 1 ]; then
  if ! command -v pg_lsclusters >/dev/null 2>&1; then apt_install postgresql; fi
  pg_major=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $1}')
  if [ -z "$pg_major" ] && is_root && command -v pg_createcluster >/dev/null; then
    pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
    say "creating PostgreSQL $pg_major cluster"; pg_createcluster "$pg_major" main >/dev/null
  fi
  [ -n "$pg_major" ] && apt_install "postgresql-$pg_major-postgis-3"
  if ! pg_isready -q -h 127.0.0.1 -p 5432 && is_root && [ -n "$pg_major" ]; then
    say "starting PostgreSQL $pg_major"
    pg_ctlcluster --skip-systemctl-redirect "$pg_major" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
# GeoDjango needs GDAL, GEOS and PROJ at run time; python3-venv for the virtualenv.
apt_install gdal-bin libgeos-c1v5 python3-venv
# Tests: compose validation, Debian's Chromium for the browser tests (Playwright drives it) and a
# redis-server binary the chaos tests start and kill as their own broker.
[ "$MODE" = test ] && apt_install docker-compose chromium redis-server

# --- Redis (tests need a real one; `make run` falls back without it) -------------------------
if [ "$MODE" = test ] && [ -z "${REDIS_URL:-}" ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    apt_install redis-server
    if is_root && command -v redis-server >/dev/null; then
      say "starting Redis"
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/conectar.log
      sleep 1
    fi
  fi
fi

# --- Python virtualenv -------------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"; "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "installing the project and its dependencies into $VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e '.[dev]'
  rm -f "$VENV"/.installed-*; touch "$stamp"
fi

mkdir -p var/static var/media

# --- Databases -----------------------------------------------------------------------------------
if ! "$VENV/bin/python" - <<'PY'
import os, sys, psycopg
from urllib.parse import urlsplit
u = urlsplit(os.environ["DATABASE_URL"])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password,
                    dbname="postgres", connect_timeout=5).close()
except psycopg.OperationalError as e:
    print(f"[bootstrap] cannot reach PostgreSQL at {u.hostname}:{u.port}: {e}".strip(), file=sys.stderr)
    sys.exit(1)
PY
then
  say "PostgreSQL is not reachable at DATABASE_URL=$DATABASE_URL."
  say "Set DATABASE_URL to a PostgreSQL 15+ server with PostGIS 3, or run this as root on Debian/Ubuntu."
  exit 1
fi
if [ "$MODE" = run ]; then
  say "creating and migrating every context database"
  CONECTAR_ENV=${CONECTAR_ENV:-development} "$VENV/bin/python" manage.py setup_databases
fi
say "ready"
