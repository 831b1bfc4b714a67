"""The Celery application: events, notifications, payouts, expiries."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectar.settings")

app = Celery("conectar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import conectar.platform.celery_signals  # noqa: E402, F401  (connects the request-id signals)
