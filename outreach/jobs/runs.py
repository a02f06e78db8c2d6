"""When each periodic job last ran and last succeeded, so a safety net that stopped (a scheduler
down, workers busy with other work) is seen: a job without a success for JOB_LATE_AFTER
intervals is late, shown on the admin's page and failing `GET /readyz`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import db

JOB_LATE_AFTER = 3  # intervals without a success


class JobRun(db.Model):
    """One periodic job's latest run (one row per job, written outside the job's transaction)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime]
    last_started_at: Mapped[datetime | None]
    last_succeeded_at: Mapped[datetime | None]
    last_failed_at: Mapped[datetime | None]
    last_summary: Mapped[str] = mapped_column(String(300), default="")
    failures_in_a_row: Mapped[int] = mapped_column(default=0)


def note_run(name: str, now: datetime, ok: bool, summary: str) -> None:
    """Record a finished run of job `name` (in its own short transaction, committed)."""
    values = {"last_started_at": now, "last_summary": summary[:300]}
    if ok:
        values |= {"last_succeeded_at": now, "failures_in_a_row": 0}
    else:
        values |= {"last_failed_at": now, "failures_in_a_row": JobRun.failures_in_a_row + 1}
    changed = db.session.execute(update(JobRun).where(JobRun.name == name).values(**values))
    if changed.rowcount == 0:
        try:
            with db.session.begin_nested():  # another worker may be adding it at this moment
                db.session.add(JobRun(name=name, first_seen_at=now,
                                      **{k: v for k, v in values.items()
                                         if k != "failures_in_a_row"},
                                      failures_in_a_row=0 if ok else 1))
        except IntegrityError:
            db.session.execute(update(JobRun).where(JobRun.name == name).values(**values))
    db.session.commit()


@dataclass(frozen=True)
class JobHealth:
    name: str
    last_succeeded_at: datetime | None
    last_failed_at: datetime | None
    last_summary: str
    late: bool


def interval() -> timedelta:
    """How often the scheduler runs each job (JOB_INTERVAL_SECONDS)."""
    return timedelta(seconds=float(current_app.config["JOB_INTERVAL_SECONDS"]))


def job_health(names: list[str], now: datetime) -> list[JobHealth]:
    """Each registered job with its last runs; late when it has not succeeded for
    JOB_LATE_AFTER intervals (counted from when the scheduler first ran any job, for one that
    never has)."""
    runs = {run.name: run for run in db.session.scalars(select(JobRun))}
    began = db.session.scalar(select(func.min(JobRun.first_seen_at)))
    limit = now - JOB_LATE_AFTER * interval()
    found = []
    for name in names:
        run = runs.get(name)
        last = run.last_succeeded_at if run is not None else None
        since = last or (run.first_seen_at if run is not None else began)
        late = since is None or since < limit
        found.append(JobHealth(name, last, run.last_failed_at if run else None,
                               run.last_summary if run else "", late))
    return found
