"""Both window-counter implementations (Redis, and the in-process fallback) count alike."""

import time
import uuid

import pytest
import redis
from django.conf import settings

from conectar.platform.counters import LocalWindowCounter, RedisWindowCounter


@pytest.fixture(params=["redis", "local"])
def counter(request):
    if request.param == "redis":
        return RedisWindowCounter(redis.Redis.from_url(settings.REDIS_URL))
    return LocalWindowCounter()


def keys(n=2):
    return [f"test:counter:{uuid.uuid4().hex}" for _ in range(n)]


def test_hits_count_per_key_within_one_window(counter):
    a, b = keys()
    assert [h.count for h in counter.hit([a, b], window=60)] == [1, 1]
    assert [h.count for h in counter.hit([a], window=60)] == [2]
    hit_a, hit_b = counter.hit([a, b], window=60)
    assert (hit_a.count, hit_b.count) == (3, 2)
    assert 0 < hit_a.retry_after <= 61


def test_the_window_is_opened_by_the_first_hit_and_not_extended(counter):
    (a,) = keys(1)
    counter.hit([a], window=2)
    time.sleep(1.1)
    (later,) = counter.hit([a], window=2)
    assert later.retry_after <= 1 + 1
    time.sleep(1.2)
    assert counter.hit([a], window=2)[0].count == 1, "a new window starts from zero"


def test_release_forgets_and_gives_back_without_going_below_zero(counter):
    a, b = keys()
    counter.hit([a, b], window=60)
    counter.hit([a, b], window=60)
    counter.release(forget=[a], give_back=[b])
    assert [h.count for h in counter.hit([a, b], window=60)] == [1, 2]
    (c,) = keys(1)
    counter.release(give_back=[c])
    assert counter.hit([c], window=60)[0].count == 1
