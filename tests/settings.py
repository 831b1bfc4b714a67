"""Test settings: the production module plus the test-only probe app."""

import os

os.environ.setdefault("CONECTAR_ENV", "test")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from conectar.settings import *  # noqa: E402, F403
from conectar.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.support.probe"]
ROOT_URLCONF = "tests.support.urls"
