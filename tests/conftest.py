import os
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from conectar.celery import app as celery_app
from tests.support.tcp_proxy import TcpProxy
from tests.support.worker import CeleryWorker

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

# Fixtures shared by several test packages (mp_sandbox, mp_webhook_receiver).
pytest_plugins = ["tests.support.mp_sandbox", "tests.support.call_guard"]


@pytest.fixture(scope="session")
def broker_proxy():
    """Every broker connection of the tests and their worker goes through this proxy, so a test
    can take the broker away from all of them at once."""
    target = redis.Redis.from_url(settings.CELERY_BROKER_URL).connection_pool.connection_kwargs
    proxy = TcpProxy(target["host"], target["port"])
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, broker_proxy):
    """A real worker process (prefork, embedded beat) on the test databases."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()  # nothing left over from an earlier run
    db = broker.connection_pool.connection_kwargs["db"]
    proxied_url = f"redis://127.0.0.1:{broker_proxy.port}/{db}"
    original_url = os.environ["CELERY_BROKER_URL"]
    # Celery reads this variable before its own configuration, so it must change here.
    os.environ["CELERY_BROKER_URL"] = proxied_url
    celery_app.close()  # drop pooled connections so publishing goes through the proxy
    ARTIFACTS.mkdir(exist_ok=True)
    worker = CeleryWorker(
        broker_url=proxied_url,
        log_path=ARTIFACTS / "celery-worker.log",
        extra_env={"DB_POOL_SIZE": "1"},  # the production connection budget
    )
    with django_db_blocker.unblock():
        worker.start(celery_app)
    yield worker
    worker.stop()
    os.environ["CELERY_BROKER_URL"] = original_url
    celery_app.close()


@pytest.fixture
def worker(celery_worker, broker_proxy):
    if not broker_proxy.running:  # a failed outage test must not take the broker from the next
        broker_proxy.start()
    celery_app.close()  # no pooled connection broken by an earlier outage
    if not celery_worker.alive(celery_app):
        # Celery's consumer can die for good when its connection drops mid-(re)start; a test
        # must not inherit a dead worker from an earlier outage test.
        celery_worker.restart(celery_app)
    return celery_worker


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Denied tokens (cache) and lockout counters (the same Redis db) start empty in each test."""
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "kyc": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private-kyc"), "base_url": None},
        },
    }
