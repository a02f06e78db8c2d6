"""`outreach tick`: run every due periodic job once (the scheduler runs the same jobs).

A job is a function `job(now) -> summary` registered with `@periodic("name")`. Each runs in its
own transaction, so one failing job neither undoes nor stops the others. Jobs must be safe to
run again and on several machines at once (claim rows with SKIP LOCKED, check "already done").
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import click

from outreach.cli import cli
from outreach.db import db, hand_over_committed, set_clock, utcnow

log = logging.getLogger(__name__)

Job = Callable[[datetime], str]
JOBS: dict[str, Job] = {}
# Modules whose import registers jobs; a feature with periodic work adds its module here.
JOB_MODULES = ["outreach.visits.safety_net", "outreach.messages.dispatch",
               "outreach.messages.jobs", "outreach.escalations.jobs",
               "outreach.escalations.webhooks", "outreach.literacy.jobs",
               "outreach.evaluation.jobs", "outreach.retention.jobs"]


def periodic(name: str) -> Callable[[Job], Job]:
    """Register `job(now) -> summary` to be run by every tick under `name`."""

    def register(job: Job) -> Job:
        JOBS[name] = job
        return job

    return register


def load_jobs() -> dict[str, Job]:
    """Import the modules that register jobs and answer the registry."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS


@dataclass
class JobResult:
    name: str
    ok: bool
    summary: str


def run_jobs(now: datetime | None = None) -> list[JobResult]:
    """Run every registered job once as of `now`, each committed (or rolled back) on its own."""
    now = now or utcnow()
    return [run_job(name, now) for name in load_jobs()]


def run_job(name: str, now: datetime | None = None) -> JobResult:
    """Run the job registered as `name` once, in its own transaction (Celery beat's unit)."""
    job = load_jobs()[name]
    now = now or utcnow()
    try:
        summary = job(now)
        db.session.commit()
        # As a request does when it ends: texts sent, events placed, deliveries handed over.
        hand_over_committed()
    except Exception as exc:  # one broken job must not stop the safety net's other jobs
        db.session.rollback()
        log.exception("Periodic job %s failed", name)
        result = JobResult(name, False, f"failed ({type(exc).__name__})")
    else:
        result = JobResult(name, True, summary)
    _note(result, now)
    return result


def _note(result: JobResult, now: datetime) -> None:
    """Keep the run on record for the job health check; never fails the job itself."""
    from outreach.jobs.runs import note_run

    try:
        note_run(result.name, now, result.ok, result.summary)
    except Exception:  # the database went away since the job ran: its own error is logged
        db.session.rollback()
        log.warning("Could not record the run of periodic job %s", result.name)


def _parse_moment(ctx, param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter("give a date and time in ISO 8601, "
                                 "e.g. 2025-03-03T18:00:00+00:00") from exc
    # A time without an offset is read as UTC, like every stored time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@cli.command("tick")
@click.option("--now", "moment", callback=_parse_moment, metavar="ISO-8601",
              help="Run as of this time (no offset: UTC) instead of the real time.")
def tick(moment: datetime | None) -> None:
    """Run every periodic job once and print what each did."""
    if moment is not None:
        set_clock(moment)
    try:
        results = run_jobs(utcnow())
    finally:
        if moment is not None:
            set_clock(None)
    for result in results:
        click.echo(f"{result.name}: {result.summary}")
    if not all(r.ok for r in results):
        raise click.ClickException("some jobs failed; see the log")
