#!/usr/bin/env bash
# Everything `make run` and `make test` need, installed and started if missing (idempotent):
# Debian packages (as root), PostgreSQL+PostGIS, Redis for tests, the virtualenv from the lock
# (requirements/dev.txt), a way into PostgreSQL, every context database migrated.
#
#   scripts/bootstrap.sh run    what `make run` needs (the default); writes make run's development
#                               settings to the git-ignored .env, which every later manage.py reads
#   scripts/bootstrap.sh test   what `make test` needs
#   scripts/bootstrap.sh db     make run's database step alone: a way in, .env, every context
#                               database created and migrated (packages and .venv already there;
#                               DATABASE_URL=… scripts/bootstrap.sh db for another server)
#
# Where PostgreSQL wants a password (a distribution's default pg_hba.conf: scram-sha-256 on TCP),
# root creates the role `conectar` with a generated password and keeps DATABASE_URL in .env.
# Without root it lists everything missing at once and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-run}"
case "$MODE" in run | test | db) ;; *) echo "usage: $0 [run|test|db]" >&2; exit 2 ;; esac
VENV=.venv
ENV_FILE=.env
DB_ROLE=conectar
export DEBIAN_FRONTEND=noninteractive
say() { printf '\033[1m[bootstrap %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*"; }
# step "what" command…: says what starts, runs it (its output shown), says how long it took.
step() {
  local what=$1 t=$SECONDS
  shift
  say "$what"
  "$@"
  say "  done in $((SECONDS - t)) s"
}
is_root() { [ "$(id -u)" = 0 ]; }
on_debian() { command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_updated=""
apt_update() { [ -n "$apt_updated" ] || step "apt-get update" apt-get update -q; apt_updated=1; }

# --- .env: this checkout's local settings (git-ignored; the real environment wins) ----------------
env_file_value() {
  [ -f "$ENV_FILE" ] || return 0
  sed -n "s/^$1=//p" "$ENV_FILE" | tail -1 | sed "s/^[\"']\(.*\)[\"']\$/\1/"
}
set_env_value() { # KEY VALUE: replaces KEY's line or appends it
  if [ ! -f "$ENV_FILE" ]; then
    (umask 077 && cat >"$ENV_FILE" <<'TXT')
# This checkout's local settings, written by scripts/bootstrap.sh (git-ignored). Every manage.py,
# daphne and celery started here reads it; a variable set in the real environment wins over it.
# Every setting is described in .env.example.
TXT
  fi
  local kept
  kept=$(grep -v "^$1=" "$ENV_FILE" || true)
  printf '%s\n%s=%s\n' "$kept" "$1" "$2" >"$ENV_FILE" # rewritten in place: its mode (0600) stays
}

# --- Where PostgreSQL is -------------------------------------------------------------------------
url_from_environment=${DATABASE_URL:+1}
DATABASE_URL=${DATABASE_URL:-$(env_file_value DATABASE_URL)}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/conectar}
db_hostport=${DATABASE_URL#*://}
db_hostport=${db_hostport#*@}
db_hostport=${db_hostport%%/*}
db_host=${db_hostport%:*}
db_port=5432
[ "$db_hostport" = "$db_host" ] || db_port=${db_hostport##*:}
local_server=0
case "$db_host" in 127.0.0.1 | localhost) local_server=1 ;; esac
# These print nothing (and never fail: set -e) where PostgreSQL or apt's lists are not there yet.
pg_major_installed() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true; }
pg_major_candidate() { apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ { split($2, v, "+"); if (v[1] ~ /^[0-9]+$/) print v[1] }' || true; }
cluster_on_port() { pg_lsclusters -h 2>/dev/null | awk -v p="$1" '$3 == p { print $1, $2, $4; exit }' || true; } # version name status

# --- What is missing -------------------------------------------------------------------------------
# Debian packages this mode needs that are not installed; `missing` collects everything that keeps
# this run from going on without root, so it is all said at once.
debs=()
missing=()
want_deb() { for p in "$@"; do installed "$p" || debs+=("$p"); done; }
if [ "$MODE" != db ]; then
  if on_debian; then
    if [ "$local_server" = 1 ]; then
      pg_major=$(pg_major_installed)
      if [ -z "$pg_major" ]; then # PostGIS's package is named after the major the distribution ships
        debs+=(postgresql)
        if is_root; then apt_update; fi
        pg_major=$(pg_major_candidate)
      fi
      want_deb "postgresql-${pg_major:-<major>}-postgis-3"
    fi
    # GeoDjango needs GDAL, GEOS and PROJ at run time (gdal-bin brings them); python3-venv the virtualenv.
    want_deb gdal-bin python3-venv
    # Tests: compose validation, Debian's Chromium for the browser tests (Playwright drives it) and
    # a redis-server binary the chaos tests start and kill as their own broker.
    [ "$MODE" = test ] && want_deb docker-compose chromium redis-server
  else
    say "not a Debian/Ubuntu machine: make sure PostgreSQL 15+ with PostGIS 3, GDAL, GEOS and Python 3.11+"
    say "(with venv) are installed; for make test also Redis, Chromium and docker-compose"
  fi
fi

if [ ${#debs[@]} -gt 0 ]; then
  if is_root; then
    apt_update
    step "installing ${#debs[@]} Debian packages: ${debs[*]}" apt-get install -y -q "${debs[@]}"
  else
    missing+=("Debian packages (as root: apt-get install ${debs[*]})")
  fi
fi

# --- PostgreSQL: a cluster serving DATABASE_URL's port, started --------------------------------------
if [ "$local_server" = 1 ] && command -v pg_lsclusters >/dev/null 2>&1; then
  cluster=$(cluster_on_port "$db_port")
  if [ -z "$cluster" ] && [ "$db_port" = 5432 ] && [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    if is_root; then
      pg_major=$(pg_major_installed)
      step "creating the PostgreSQL $pg_major cluster main" pg_createcluster "$pg_major" main
      cluster=$(cluster_on_port "$db_port")
    else
      missing+=("a PostgreSQL cluster (as root: pg_createcluster $(pg_major_installed) main --start)")
    fi
  fi
  if [ -n "$cluster" ] && ! pg_isready -q -h 127.0.0.1 -p "$db_port"; then
    read -r c_version c_name _ <<<"$cluster"
    if is_root; then
      step "starting PostgreSQL $c_version/$c_name on port $db_port" \
        pg_ctlcluster --skip-systemctl-redirect "$c_version" "$c_name" start
      for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$db_port" && break; sleep 1; done
    else
      missing+=("PostgreSQL $c_version/$c_name is not running (as root: pg_ctlcluster $c_version $c_name start)")
    fi
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  say "cannot go on without root; missing:"
  for m in "${missing[@]}"; do say "  - $m"; done
  say "run this script as root, or install the above and run it again"
  exit 1
fi

# --- Redis (tests need a real one; `make run` falls back without it) -------------------------
if [ "$MODE" = test ] && [ -z "${REDIS_URL:-}" ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && is_root && command -v redis-server >/dev/null; then
    say "starting Redis on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/conectar.log
    sleep 1
  fi
fi

# --- Python virtualenv, from the lock ----------------------------------------------------------------
if [ "$MODE" != db ]; then
  PY=${PYTHON:-python3}
  if [ ! -x "$VENV/bin/python" ]; then
    step "creating $VENV with $("$PY" --version)" "$PY" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(cat requirements/dev.txt pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    step "upgrading pip in $VENV" "$VENV/bin/pip" install --upgrade pip
    step "installing the locked dependencies (requirements/dev.txt) into $VENV" \
      "$VENV/bin/pip" install --require-hashes -r requirements/dev.txt
    step "installing the project (editable, no dependencies: the lock has them)" \
      "$VENV/bin/pip" install --no-deps -e .
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  mkdir -p var/static var/media
fi
[ -x "$VENV/bin/python" ] || { say "no $VENV: run scripts/bootstrap.sh (run or test) first"; exit 1; }

# --- Databases: a way in, then every context database ------------------------------------------
# 0: logged in; 3: the server refused the login (it wants a password, or another role); 1: unreachable.
db_login() {
  "$VENV/bin/python" - <<'PY'
import os, sys
from urllib.parse import unquote, urlsplit

import psycopg

u = urlsplit(os.environ["DATABASE_URL"])
try:
    psycopg.connect(
        host=u.hostname, port=u.port or 5432, user=unquote(u.username or "") or None,
        password=unquote(u.password or "") or None, dbname="postgres", connect_timeout=5,
    ).close()
except psycopg.OperationalError as e:
    print(f"[bootstrap] PostgreSQL at {u.hostname}:{u.port or 5432} as {u.username}: {e}".strip(), file=sys.stderr)
    refused = (e.sqlstate or "").startswith("28") or any(
        s in str(e) for s in ("password", "authentication failed", "does not exist")
    )
    sys.exit(3 if refused else 1)
PY
}
# The distribution's pg_hba.conf lets the postgres OS user in through the local socket (peer) and
# asks everyone on TCP for a password (scram-sha-256): create (or re-password) a role for this
# checkout. Superuser: it creates the context databases with their PostGIS extension, and the tests
# their own databases.
create_db_role() {
  local password
  password=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))')
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$db_port" -d postgres <<SQL
SELECT 'CREATE ROLE $DB_ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_ROLE') \gexec
ALTER ROLE $DB_ROLE WITH LOGIN SUPERUSER PASSWORD '$password';
SQL
  DATABASE_URL="postgres://$DB_ROLE:$password@${DATABASE_URL#*@}"
  set_env_value DATABASE_URL "$DATABASE_URL"
}

rc=0
db_login || rc=$?
if [ "$rc" = 3 ] && [ "$local_server" = 1 ] && is_root && [ -n "$(cluster_on_port "$db_port")" ]; then
  step "PostgreSQL on port $db_port asks for a password: role $DB_ROLE with a generated password, DATABASE_URL in $ENV_FILE" \
    create_db_role
  [ -z "$url_from_environment" ] ||
    say "note: DATABASE_URL in your environment wins over $ENV_FILE; unset it for later manage.py calls"
  rc=0
  db_login || rc=$?
fi
if [ "$rc" != 0 ]; then
  say "cannot log in to PostgreSQL with DATABASE_URL (${DATABASE_URL%%:*}://…@$db_hostport)."
  say "Set DATABASE_URL (environment or $ENV_FILE) to a PostgreSQL 15+ server with PostGIS 3 and a role"
  say "that may create databases and extensions, or run this as root on Debian/Ubuntu."
  exit 1
fi

if [ "$MODE" != test ]; then
  # make run's development settings, kept for every later manage.py in this checkout.
  [ -n "$(env_file_value CONECTAR_ENV)" ] || set_env_value CONECTAR_ENV development
  [ -n "$(env_file_value SECRET_KEY)" ] ||
    set_env_value SECRET_KEY "$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
fi
if [ "$MODE" != test ]; then
  step "creating and migrating every context database" \
    env CONECTAR_ENV="${CONECTAR_ENV:-development}" "$VENV/bin/python" manage.py setup_databases
fi
say "ready in $SECONDS s"
