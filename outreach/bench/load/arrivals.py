"""When each simulated caller acts: independently of the others, as people and systems do.

Each caller's requests form a Poisson process: the gaps between them are random (exponential)
with the caller's mean rate, so callers made at the same moment drift apart at once and the
load arrives in the bursts and lulls of real traffic, not all together. Locust's own
constant_throughput paces each user from the moment it was made, and Locust makes its users in
batches: with it every simulated caller sent in the same tenth of a second, every second.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class Arrivals:
    """The moments one caller sends its requests: `rate` a second on average."""

    def __init__(self, rate: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 draw: random.Random | None = None) -> None:
        self.rate, self.clock = rate, clock
        self.draw = draw or random.Random()  # noqa: S311 - timing, not secrets  # nosec B311
        self.due = clock()

    def wait(self) -> float:
        """Seconds until the next request is due; none when it is late already (a slow answer
        holds the caller up, and it then sends what is due without waiting)."""
        self.due += self.draw.expovariate(self.rate)
        return max(0.0, self.due - self.clock())
