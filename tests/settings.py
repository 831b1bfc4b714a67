"""Test settings: the production module plus the test-only probe app."""

import os

os.environ.setdefault("CONECTAR_ENV", "test")
# Parallel test sessions on one machine pick their own Redis dbs and test-database suffix:
#   TEST_REDIS_DB=10 TEST_BROKER_DB=11 TEST_DB_SUFFIX=_a .venv/bin/pytest …
os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '14')}")
os.environ.setdefault("CELERY_BROKER_URL", f"redis://127.0.0.1:6379/{os.environ.get('TEST_BROKER_DB', '15')}")

# The test process's threads (concurrency tests) each hold a connection for the whole test: no
# pool here. Servers the tests start get the production budget (DB_POOL_SIZE=1) explicitly.
os.environ.setdefault("DB_POOL_SIZE", "0")

# Short relay timings so the event-bus tests see retries, dead letters, the beat relay and lease
# expiry within seconds (the worker subprocesses get the same values through the environment).
os.environ.setdefault("EVENTBUS_RELAY_INTERVAL_SECONDS", "0.5")
os.environ.setdefault("EVENTBUS_DELIVERY_LEASE_SECONDS", "5")
os.environ.setdefault("EVENTBUS_MAX_RETRIES", "3")
os.environ.setdefault("EVENTBUS_RETRY_BACKOFF_SECONDS", "0.2")
os.environ.setdefault("EVENTBUS_RETRY_BACKOFF_MAX_SECONDS", "2.0")

from conectar.settings import *  # noqa: F403
from conectar.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.support.probe"]

for _alias, _config in DATABASES.items():  # noqa: F405
    _config["TEST"] = {"NAME": f"test_{_config['NAME']}{os.environ.get('TEST_DB_SUFFIX', '')}"}
ROOT_URLCONF = "tests.support.urls"
DATABASE_ROUTERS = ["tests.support.probe.router.ProbeRouter", "conectar.platform.databases.ContextRouter"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 is benched
STATIC_ROOT = None  # static files come from the finders in tests; nothing is collected
