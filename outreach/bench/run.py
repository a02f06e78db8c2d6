"""Speed and memory figures for `scripts/bench`, measured in one run and printed as one table.

The data sets (100,000 clients on 2,000 rounds, each with a visit plan; then bench_escalations'
1,000,000 visits, 200,000 needs and 100,000 escalations) are built once with bulk inserts and
reused by later runs. More figures are added by appending a function to FIGURES: it takes the
Bench and returns Rows (figure, value, unit, target or None, and the reference measured in the
same run where the figure is compared with one).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from outreach.bench.dashboard import coordinator_dashboard_figures
from outreach.bench.escalations import NO_PASSWORD, escalation_data_set, queue_and_feed_figures
from outreach.bench.evaluation import dashboard_figures
from outreach.bench.http import visit_recording_figures
from outreach.bench.imports import import_figures
from outreach.bench.memory import web_memory_figures
from outreach.bench.sms import inbound_figures, outbound_figures
from outreach.bench.webhooks import http_figures, webhook_figures

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
CLIENTS = 100_000
ROUNDS = 2_000
SAMPLE_ROUNDS = 200
MARKER = "Bench Post (generated)"
# A Tuesday in term time, away from clock changes: a typical day.
BENCH_DAY = date(2026, 5, 12)


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    target: float | None = None  # None: reported, no target set
    # The same measure of a reference taken in this run (a bare Flask endpoint under the same
    # gunicorn settings, Twilio's sending rate): the ratio is to it rather than to the target.
    reference: float | None = None
    versus: str = ""  # what the reference is, for the table
    higher_is_better: bool = False  # throughputs; times, memory and errors are lower-better

    def met(self) -> str:
        """yes/no against the target, '-' without one."""
        if self.target is None:
            return "-"
        good = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "yes" if good else "NO"

    def ratio(self) -> tuple[str, str]:
        """(ratio, what it is a ratio to): to the reference if there is one, else the target."""
        if self.reference:
            return f"{self.value / self.reference:.2f}", self.versus or "reference"
        if self.target:
            return f"{self.value / self.target:.2f}", "target"
        return "-", "-"


@dataclass
class Bench:
    app: object
    round_ids: list[int]
    on: date


def database_url() -> str:
    """The bench database: BENCH_DATABASE_URL, else a local `bench` database."""
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def admin_engine(url):
    """An engine on the server's `postgres` database, outside transactions (CREATE DATABASE
    cannot run in one)."""
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = admin_engine(parsed)
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def build(db) -> None:
    """Insert the data set in one transaction, so a run that dies leaves nothing half-built."""
    from outreach.auth.models import User
    from outreach.care.models import Appointment, Prescription
    from outreach.db import utcnow
    from outreach.needs.models import Need
    from outreach.organisations.models import Organisation
    from outreach.people.models import Client
    from outreach.programmes.models import Programme
    from outreach.rounds.models import Round
    from outreach.visits.models import VisitPlan

    rng = random.Random(7)  # noqa: S311 - repeatable test data, not secrets  # nosec B311
    session = db.session
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    org_id = session.execute(insert(Organisation).returning(Organisation.id),
                             {"name": MARKER, "kind": "operator"}).scalar_one()
    prog_id = session.execute(insert(Programme).returning(Programme.id), {
        "name": "Bench Call & Check", "kind": "call_and_check", "operator_id": org_id,
        "timezone": "Europe/Jersey"}).scalar_one()
    session.execute(insert(User), [{
        "email": f"bench-visitor-{i}@example.org", "full_name": f"Visitor {i}",
        "password_hash": NO_PASSWORD, "role": "visitor", "organisation_id": org_id,
        "session_token": f"bench{i}", **stamps} for i in range(ROUNDS)])
    visitors = list(session.scalars(select(User.id).where(User.organisation_id == org_id)
                                    .order_by(User.id)))
    session.execute(insert(Round), [{
        "programme_id": prog_id, "name": f"Round {i}", "area": "", "visitor_id": visitors[i],
        "weekdays": "1,2,3,4,5,6", **stamps} for i in range(ROUNDS)])
    rounds = list(session.scalars(select(Round.id).where(Round.programme_id == prog_id)
                                  .order_by(Round.id)))
    per_round = CLIENTS // ROUNDS
    session.execute(insert(Client), [{
        "programme_id": prog_id, "full_name": f"Bench Client {i}", "address": f"{i} Bench Road",
        "parish": "St Helier", "preferred_language": "en", "access_notes": "",
        "notes": "", "round_id": rounds[i // per_round], "walk_order": i % per_round + 1,
        "lives_alone": True, **stamps} for i in range(CLIENTS)])
    clients = list(session.scalars(select(Client.id).where(Client.programme_id == prog_id)
                                   .order_by(Client.id)))
    plans = []
    for cid in clients:
        frequency = rng.choice(["daily", "weekdays", "weekly", "fortnightly"])
        days = {"daily": "", "weekdays": "1,3,5",
                "weekly": str(rng.randint(1, 6)), "fortnightly": str(rng.randint(1, 6))}
        plans.append({"client_id": cid, "frequency": frequency, "weekdays": days[frequency],
                      "starts_on": date(2026, 1, 5), "sms_check_ins": False, **stamps})
    session.execute(insert(VisitPlan), plans)
    # What a real day has at some doors: parcels, appointments, concerns to ask about again.
    some = rng.sample(clients, CLIENTS // 10)
    session.execute(insert(Prescription), [{
        "client_id": c, "description": "Repeat prescription", "status": "ready", **stamps}
        for c in some[: CLIENTS // 20]])
    session.execute(insert(Appointment), [{
        "client_id": c, "starts_at": now, "place": "Hospital", "with_whom": "Clinic",
        "transport_needed": False, "notes": "", **stamps} for c in some])
    session.execute(insert(Need), [{
        "client_id": c, "category": "loneliness", "severity": "routine", "source": "visit",
        "status": "open", "description": "Would like more company", **stamps}
        for c in some[CLIENTS // 20:]])
    session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would give a real database: without them the
        # planner guesses at the new tables' sizes and the figures mean little.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def prepare(app) -> list[int]:
    """The bench rounds, building the data set first if this database does not have it."""
    from outreach.db import db
    from outreach.organisations.models import Organisation
    from outreach.programmes.models import Programme
    from outreach.rounds.models import Round

    with app.app_context():
        built = db.session.scalar(select(Organisation.id).where(Organisation.name == MARKER))
        if built is None:
            started = time.perf_counter()
            print(f"Building {CLIENTS:,} clients on {ROUNDS:,} rounds ...", flush=True)
            build(db)
            print(f"Built in {time.perf_counter() - started:.1f} s.", flush=True)
        else:
            print("Reusing the data set already in the bench database.", flush=True)
        return list(db.session.scalars(select(Round.id).join(Programme).join(Organisation)
                                       .where(Organisation.name == MARKER).order_by(Round.id)))


def _due_time(db, round_id: int, on: date) -> float:
    from outreach.rounds.models import Round
    from outreach.visits.schedule import due_clients

    db.session.expunge_all()  # no help from the identity map: each round starts cold
    started = time.perf_counter()
    due_clients(db.session.get(Round, round_id), on)
    return (time.perf_counter() - started) * 1000


def due_list_figures(bench: Bench) -> list[Row]:
    """One round's due list (median, p95 over a sample) and every round's for the day."""
    from outreach.db import db

    rng = random.Random(11)  # noqa: S311 - a repeatable sample  # nosec B311
    sample = rng.sample(bench.round_ids, min(SAMPLE_ROUNDS, len(bench.round_ids)))
    with bench.app.app_context():
        _due_time(db, sample[0], bench.on)  # warm the connection pool and statement caches
        times = sorted(_due_time(db, rid, bench.on) for rid in sample)
        started = time.perf_counter()
        for rid in bench.round_ids:
            _due_time(db, rid, bench.on)
        whole_day = time.perf_counter() - started
        db.session.rollback()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return [
        Row("due list, one round, median", statistics.median(times), "ms", 20.0),
        Row("due list, one round, p95", p95, "ms"),
        Row(f"due lists, all {len(bench.round_ids):,} rounds of a day", whole_day, "s"),
    ]


# Each function adds rows to the table; add more figures here.
# escalation_data_set comes first: it adds no rows, but builds (once) what the others run on.
# web_memory_figures comes after every HTTP figure: it reports the workers' peak memory.
FIGURES: list[Callable[[Bench], list[Row]]] = [escalation_data_set, due_list_figures,
                                               visit_recording_figures, inbound_figures,
                                               outbound_figures, queue_and_feed_figures,
                                               http_figures, webhook_figures,
                                               web_memory_figures, import_figures,
                                               dashboard_figures,
                                               coordinator_dashboard_figures]


def print_table(rows: list[Row]) -> None:
    """figure | value | target | met | ratio | ratio to: the ratio is to the reference measured
    in the same run where the figure has one, else to the target."""
    lines = [("figure", "value", "target", "met", "ratio", "ratio to")]
    for row in rows:
        target = "-"
        if row.target is not None:
            target = f"{'>=' if row.higher_is_better else '<='} {row.target:g} {row.unit}"
        lines.append((row.figure, f"{row.value:.2f} {row.unit}", target, row.met(),
                      *row.ratio()))
    print_lines(lines)


def print_lines(lines: list[tuple[str, ...]]) -> None:
    """Print a header line and rows as a Markdown-like table with aligned columns."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for n, line in enumerate(lines):
        print(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            print("-|-".join("-" * w for w in widths))


def open_bench() -> Bench:
    """The bench database, created and migrated if need be, with its clients and rounds."""
    from flask_migrate import upgrade

    from outreach import create_app

    url = database_url()
    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    return Bench(app=app, round_ids=prepare(app), on=BENCH_DAY)


def main() -> int:
    """Build or reuse the data set, measure every figure, print the table."""
    bench = open_bench()
    rows = []
    for figure in FIGURES:
        started = time.perf_counter()
        rows += figure(bench)
        # Progress: a full run takes a while, most of it in the import and the HTTP figures.
        print(f"{figure.__name__}: {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
