"""Points of a delivery where a worker can be held for the test to kill it (armed through Redis,
one shot each). Only the chaos suite's workers import this (tests/chaos/settings.py).

- `relayed`: the worker took the subscriber's message; the handler has not run.
- `committed`: the handler's transaction committed; the outcome has not been reported to the
  publisher and the message not acknowledged.
"""

from __future__ import annotations

import os
import time

import redis
from celery.signals import task_prerun
from django.conf import settings
from django.dispatch import receiver

from conectar.platform.eventbus.confirmations import reporting

RELAYED, COMMITTED = "relayed", "committed"
_redis = redis.Redis.from_url(settings.REDIS_URL)


def arm_key(point: str, handler: str) -> str:
    return f"chaos:arm:{point}:{handler}"


def reached_key(point: str, handler: str) -> str:
    return f"chaos:reached:{point}:{handler}"


def _hold_if_armed(point: str, handler: str) -> None:
    if _redis.delete(arm_key(point, handler)):  # one shot: only the first delivery to get here
        _redis.set(reached_key(point, handler), os.getpid(), ex=600)
        time.sleep(600)  # until the test kills this process


@task_prerun.connect
def _before_the_handler(sender=None, args=None, **kwargs):
    if sender is not None and sender.name == "eventbus.deliver_batch" and args:
        _hold_if_armed(RELAYED, args[1])


@receiver(reporting)
def _before_the_report(sender=None, handler=None, **kwargs):
    _hold_if_armed(COMMITTED, handler)
