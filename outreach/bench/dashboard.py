"""The coordinator's daily dashboard for `scripts/bench`: `/dashboard/` for the bench operator's
coordinator (2,000 rounds, 100,000 clients on visit plans, 1,000,000 visits), rendered through
the Flask test client at 14:00 on the bench day; median and max of 5 runs (target 300 ms).

It reads the data sets the other figures build (bench, bench_escalations, and the missed
visits of bench_evaluation when present) and writes only the audit events of each listing.
`python -m outreach.bench.dashboard` measures this figure alone.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from sqlalchemy import select

RUNS = 5
TARGET_MS = 300.0
# Mid-afternoon: every round under way, the missed visits of the week before on the page.
AT = clock_time(14)


def signed_in_client(app, email: str):
    """A test client with the user's session, as logging in through the form leaves it."""
    from flask_login.utils import _create_identifier

    from outreach.auth.models import User
    from outreach.db import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        user_id = user.get_id()
        db.session.remove()
    client = app.test_client()
    # "Strong" session protection also checks an identifier of the browser and its address.
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.update({"_user_id": user_id, "_fresh": True, "_id": identifier})
    return client


def page_times(client, path: str, runs: int) -> list[float]:
    """Milliseconds for each of `runs` GETs of `path`, after one that warms the connection
    pool and the templates; anything but a 200 stops the bench."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} "
                               f"{response.headers.get('Location', '')}")
    return times[1:]


def coordinator_dashboard_figures(bench) -> list:
    """The coordinator's dashboard of the bench day: median and max of RUNS."""
    from outreach.bench.escalations import COORDINATOR_EMAIL, bench_operator
    from outreach.bench.run import Row
    from outreach.db import clock_setting, db, set_clock
    from outreach.programmes.models import Programme

    app = bench.app
    with app.app_context():
        _, programme_id = bench_operator(db)
        timezone = db.session.get(Programme, programme_id).timezone
        db.session.remove()
    client = signed_in_client(app, COORDINATOR_EMAIL)
    before = clock_setting()
    set_clock(datetime.combine(bench.on, AT, tzinfo=ZoneInfo(timezone)))
    # Every run counts the rounds' progress afresh: the figure is the counting, not the reuse.
    kept, app.config["DASHBOARD_COUNT_SECONDS"] = app.config["DASHBOARD_COUNT_SECONDS"], 0
    try:
        times = page_times(client, "/dashboard/", RUNS)
    finally:
        set_clock(before)
        app.config["DASHBOARD_COUNT_SECONDS"] = kept
    figure = "coordinator dashboard, 2,000 rounds / 100,000 clients"
    return [Row(f"{figure}, median", statistics.median(times), "ms", TARGET_MS),
            Row(f"{figure}, max", max(times), "ms")]


def main() -> int:
    """Measure this figure alone on the bench database (built first if it is missing)."""
    from outreach.bench.escalations import escalation_data_set
    from outreach.bench.run import open_bench, print_table

    bench = open_bench()
    escalation_data_set(bench)
    print_table(coordinator_dashboard_figures(bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
