"""Each web process's count of every round's progress today, kept for the coordinator's dashboard.

Counting reads every plan and today's visits: about 70 ms for a national operator's 2,000
rounds on an idle machine, several times that on a busy one. Forty coordinators refresh the
page all morning, so a process keeps its count for DASHBOARD_COUNT_SECONDS and the page says
when it was counted.

Once that time has passed, the next view still shows the kept count and counts again after
its response has been sent (Werkzeug's call_on_close: the WSGI server closes the response once
it has written it). A coordinator waits for a count only when the process has none, or only
one older than STALE_LIMIT times the keeping time (after a quiet spell); then the other views
that want the same count wait for that one rather than each counting again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from threading import Lock

from flask import Flask, after_this_request, current_app
from sqlalchemy import select

from outreach.db import db, utcnow
from outreach.rounds.models import Round
from outreach.visits.safety_net import RoundProgress, round_progress

# A kept count older than this many keeping times is not shown: it is counted again first.
STALE_LIMIT = 4

Counted = tuple[datetime, list[RoundProgress]]


def count(programme_ids: Iterable[int], now: datetime) -> list[RoundProgress]:
    """The programmes' rounds that run today or have someone due, most still to do first (then
    by name and id)."""
    # Rows rather than objects: a national operator has thousands of rounds.
    rounds = db.session.execute(
        select(Round.id, Round.name, Round.area, Round.weekdays, Round.visitor_id,
               Round.programme_id)
        .where(Round.programme_id.in_(list(programme_ids)))).all()
    # A round that does not run today is left out unless someone is due on it anyway.
    progress = [p for p in round_progress(rounds, now) if p.due or p.runs]
    # Most still to do first: where the coordinator may need to send help. Sorted once here,
    # not on every view of the kept count.
    progress.sort(key=lambda p: (-p.outstanding, p.round.name, p.round.id))
    return progress


class RoundCounts:
    """The counts one process keeps, by the set of programmes counted."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, ...], Counted] = {}
        self._counting = Lock()  # one count while coordinators wait for it
        self._recounting: set[tuple[int, ...]] = set()  # counting again after a response
        self._recounting_guard = Lock()

    def progress(self, programme_ids: Iterable[int], now: datetime) -> Counted:
        """When the count shown was made, and the count; in a request."""
        keep = timedelta(seconds=current_app.config["DASHBOARD_COUNT_SECONDS"])
        key = tuple(sorted(programme_ids))
        if not keep:
            return now, count(key, now)
        kept = self._kept.get(key)
        if kept is not None and timedelta(0) <= now - kept[0] < keep * STALE_LIMIT:
            if now - kept[0] >= keep:
                self._recount_after_response(key)
            return kept
        with self._counting:
            kept = self._kept.get(key)
            if kept is None or not timedelta(0) <= now - kept[0] < keep:
                kept = self._kept[key] = (now, count(key, now))
        # A recount whose response never closed (the view failed after asking) has no say now.
        with self._recounting_guard:
            self._recounting.discard(key)
        return kept

    def _recount_after_response(self, key: tuple[int, ...]) -> None:
        with self._recounting_guard:
            if key in self._recounting:
                return  # another view of this process is already counting it again
            self._recounting.add(key)
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        @after_this_request
        def recount_on_close(response):
            response.call_on_close(lambda: self._recount(app, key))
            return response

    def _recount(self, app: Flask, key: tuple[int, ...]) -> None:
        # The request's context is gone by now: the count has one of its own.
        try:
            with app.app_context():
                now = utcnow()
                self._kept[key] = (now, count(key, now))
        except Exception:  # the page was sent; the next view that finds it stale tries again
            app.logger.exception("Counting the rounds' progress again for the dashboard failed")
        finally:
            with self._recounting_guard:
                self._recounting.discard(key)


def round_counts(app: Flask) -> RoundCounts:
    """The application's kept counts in this process."""
    return app.extensions.setdefault("dashboard_counts", RoundCounts())
