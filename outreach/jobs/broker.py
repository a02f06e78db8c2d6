"""Handing work to the Celery broker, and what happens when it is away.

A hand-off is only a hint ("look at this now"): the work itself is in the database and the
periodic jobs find it. So a failed hand-off is not an error of the request that made it: it is
logged once when an outage begins (no traceback), counted while it lasts, and logged once more,
with the count, when the broker answers again. While it is away, a process tries the broker
at most every RETRY_SECONDS; requests in between do not wait on it at all.
"""

from __future__ import annotations

import logging
import threading
import time

from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
UNREACHABLE = (KombuError, OSError)


class Outage:
    """This process's view of the broker: up, or down since when, with how many hand-offs
    skipped or failed since."""

    def __init__(self, retry_seconds: float = RETRY_SECONDS):
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.missed = 0
        self._next_try = 0.0

    def publish(self, task, *args) -> bool:
        """Put `task(*args)` on the broker; answers whether it got there."""
        with self._lock:
            if self.down_since is not None and time.monotonic() < self._next_try:
                self.missed += 1
                return False
        try:
            task.delay(*args)
        except UNREACHABLE as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self.missed += 1
            self._next_try = time.monotonic() + self.retry_seconds
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        # The exception's own words can name the broker's address, never anyone's data.
        log.error("The Celery broker is unreachable (%s: %s); work waits in the database for "
                  "the periodic jobs. Logged once until it is back.", type(exc).__name__, exc)

    def _succeeded(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            lasted, missed = time.monotonic() - self.down_since, self.missed
            self.down_since, self.missed = None, 0
        log.warning("The Celery broker is reachable again after %.0f s; %d hand-off(s) were "
                    "skipped or failed meanwhile and wait for the periodic jobs", lasted, missed)


_outage = Outage()


def publish(task, *args) -> bool:
    """Hand `task(*args)` to the broker if it is reachable; answers whether it was."""
    return _outage.publish(task, *args)
