"""Probe subscribers. Attempts are counted in Redis, outside the delivery transaction, so a test
can see every try (including the ones whose effects were rolled back)."""

import time

from django.conf import settings
from redis import Redis

from conectar.platform.request_id import current_request_id
from tests.support.probe.models import ProbeEffect

_redis = Redis.from_url(settings.REDIS_URL)


class ProbeFailure(RuntimeError):
    pass


def attempts_key(event_id, handler: str) -> str:
    return f"probe:attempts:{event_id}:{handler}"


def heal_key(event_id) -> str:
    return f"probe:heal:{event_id}"


def _record(event, handler: str, alias: str) -> None:
    _redis.rpush(attempts_key(event.event_id, handler), repr(time.time()))
    _redis.expire(attempts_key(event.event_id, handler), 3600)
    # The effect is written first: if the handler then fails, the whole delivery must roll back.
    ProbeEffect.objects.using(alias).create(
        event_id=event.event_id, handler=handler, label=event.label, request_id=current_request_id() or ""
    )
    tries = _redis.llen(attempts_key(event.event_id, handler))
    if tries <= event.fail_times:
        raise ProbeFailure(f"{handler}: planned failure {tries}/{event.fail_times}")
    if handler in event.always_fail_in and not _redis.exists(heal_key(event.event_id)):
        raise ProbeFailure(f"{handler}: failing until healed")


def record_in_users(event):
    _record(event, "users", "users")


def record_in_notifications(event):
    _record(event, "notifications", "notifications")


def count_in_payments(event):
    ProbeEffect.objects.using("payments").create(event_id=event.event_id, handler="payments", label=str(event.n))
