"""The load test's callers act independently: Poisson arrivals at the rate asked for."""

import random
import statistics

from outreach.bench.load.arrivals import Arrivals


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_caller_sends_at_the_rate_asked_for_with_random_gaps():
    clock = Clock()
    arrivals = Arrivals(2.0, clock, random.Random(1))
    gaps = []
    for _ in range(20_000):
        gap = arrivals.wait()
        gaps.append(gap)
        clock.now += gap  # the request takes no time

    assert 0.49 < statistics.fmean(gaps) < 0.51  # 2 a second
    # Exponential gaps: as spread as they are long (a fixed pace would have no spread at all).
    assert 0.95 < statistics.stdev(gaps) / statistics.fmean(gaps) < 1.05


def test_callers_made_at_the_same_moment_do_not_act_together():
    clock = Clock()
    draw = random.Random(2)
    start = clock.now
    sent = []
    for caller in (Arrivals(1.0, clock, draw) for _ in range(2000)):
        at = start
        while at < start + 20:
            at += caller.wait()
            sent.append(at - start)
            clock.now = at  # each caller on its own: the clock follows it, then starts again
        clock.now = start

    # From the fifth second on, every tenth of a second gets its share (200 a tenth from 2,000
    # callers at one a second each), within Poisson's spread: none empty, none a burst.
    tenths = [0] * 100
    for at in sent:
        if 5 <= at < 15:
            tenths[int((at - 5) * 10)] += 1
    assert min(tenths) > 140
    assert max(tenths) < 260


def test_a_caller_held_up_by_a_slow_answer_sends_what_is_due_at_once():
    clock = Clock()
    arrivals = Arrivals(1.0, clock, random.Random(3))
    first = arrivals.wait()
    clock.now += first + 30.0  # the answer took half a minute

    assert arrivals.wait() == 0.0
