"""SMS_SEND_RATE: texts are spaced evenly, in one process and across processes sharing Redis.

Only lower bounds on time are asserted (a slow machine can only make sending slower), so these
tests cannot flake on a busy CI box; the rate actually reached is measured by scripts/bench.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from outreach.messages.dispatch import RateLimiter, SharedRateLimiter
from tests.local_redis import require_redis

REDIS = "redis://127.0.0.1:6379/13"


def _elapsed_for(waiters: list, each: int) -> float:
    def run(limiter):
        for _ in range(each):
            limiter.wait()

    threads = [threading.Thread(target=run, args=(w,)) for w in waiters]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def test_one_process_spaces_texts_at_the_configured_rate():
    limiter = RateLimiter(100)
    # 4 threads of one process share its limiter: 60 slots at 100 a second take 0.59 s at least.
    assert _elapsed_for([limiter] * 4, 15) >= 59 / 100 * 0.98


def test_the_first_text_goes_at_once():
    assert RateLimiter(1).delay() == 0


@pytest.fixture
def shared_key():
    require_redis()
    import redis

    # Each run books its own slots, so parallel runs do not slow each other down.
    key = f"outreach:test-slot:{uuid.uuid4().hex}"
    yield key
    redis.Redis.from_url(REDIS).delete(key)


def test_workers_sharing_redis_share_one_rate(shared_key):
    # Two limiters stand for two worker processes: together they keep to 50 a second, where
    # two local limiters would send 100 a second between them.
    workers = [SharedRateLimiter(50, REDIS, key=shared_key) for _ in range(2)]
    assert _elapsed_for(workers, 25) >= 49 / 50 * 0.98
