"""The Celery application: events, notifications, payouts, expiries."""

import os

from celery import Celery

from conectar.platform.eventbus.listener import OutboxListenerStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectar.settings")

app = Celery("conectar")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after each task unless this
# is set; reconnecting cost ~7 ms of an ~8 ms task here. Workers instead treat each task like a web
# request: close_old_connections() around it (CONN_MAX_AGE, health checks, broken connections).
app.conf.CELERY_DB_REUSE_MAX = 2**31
app.autodiscover_tasks()
app.steps["worker"].add(OutboxListenerStep)  # relays each outbox right after its commits

import conectar.platform.celery_signals  # noqa: E402, F401  (connects the request-id signals)
