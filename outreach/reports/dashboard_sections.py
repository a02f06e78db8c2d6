"""Running the dashboard's sections, two at once where that is safe.

A year of a national programme is a few million rows read by a dozen aggregate queries; on
PostgreSQL they take about 1.4 s of one core's time between them. Run one after the other,
the longest (each client's first and last wellbeing measure, escalation percentiles) leave
the other core idle, so the sections are split in two groups of about equal cost, and the
second group runs on its own connection in a helper thread, read-only, while the request's
own session runs the first (measured: 30–40% faster on 2 cores, under load as well).

Only on PostgreSQL, and only when the session is not pinned to one connection: the tests run
each inside one uncommitted transaction, which another connection would not see, so there the
sections run one after the other on that connection. `split=True` forces the helper thread
(the tests use it on committed data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import Engine, text

from outreach.db import db
from outreach.reports.sql import roomy_sorts

Section = Callable[[object], object]


def may_split() -> bool:
    """Whether the sections can run on two connections: PostgreSQL, session not pinned."""
    bind = db.session.get_bind()
    return isinstance(bind, Engine) and bind.dialect.name == "postgresql"


def run(scope, first: Sequence[Section], second: Sequence[Section],
        split: bool | None = None) -> list:
    """Each section called with the scope: the results of `first`, then those of `second`."""
    roomy_sorts(db.session)
    # Loaded here, so that the helper thread never has this session load them.
    _ = scope.programme.id, scope.programme.timezone, scope.programme.cost_per_visit
    if not (may_split() if split is None else split):
        return [section(scope) for section in (*first, *second)]
    app = current_app._get_current_object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard") as pool:
        later = pool.submit(_apart, app, scope, second)
        try:
            mine = [section(scope) for section in first]
        finally:
            theirs = later.result()  # waits even when ours failed: no thread left behind
    return [*mine, *theirs]


def _apart(app, scope, sections: Sequence[Section]) -> list:
    """The sections in an application context of their own (so a session and connection of
    their own), in a read-only transaction that is rolled back."""
    with app.app_context():
        try:
            if db.session.get_bind().dialect.name == "postgresql":
                db.session.execute(text("SET TRANSACTION READ ONLY"))
            roomy_sorts(db.session)
            return [section(scope) for section in sections]
        finally:
            db.session.rollback()
            db.session.remove()
