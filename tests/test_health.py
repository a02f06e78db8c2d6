"""/healthz (its contract is fixed) and /readyz: ready when the database answers and every
periodic job has succeeded within three of its intervals."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.jobs import tick
from outreach.jobs.runs import JobRun

NOON = datetime(2026, 5, 12, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    set_clock(NOON)
    yield
    set_clock(None)


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_readyz_is_not_ready_while_no_job_has_ever_run(app, client, clock):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"]) == ("not_ready", "ok")
    assert sorted(body["late_jobs"]) == sorted(tick.load_jobs())
    assert client.get("/healthz").status_code == 200  # the liveness contract is unchanged


def test_readyz_follows_each_jobs_last_success(app, client, clock, monkeypatch):
    for name in list(tick.load_jobs()):
        monkeypatch.setitem(tick.JOBS, name, lambda now: "ok")
    with app.app_context():
        results = tick.run_jobs()
    assert all(r.ok for r in results)
    assert client.get("/readyz").get_json() == {"status": "ready", "database": "ok",
                                                "late_jobs": []}

    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setitem(tick.JOBS, "sms_no_response", broken)
    interval = app.config["JOB_INTERVAL_SECONDS"]
    for seconds in (interval, 2 * interval, 3 * interval, 3 * interval + 1):
        # Failing at every run since: late once three intervals have passed.
        set_clock(NOON + timedelta(seconds=seconds))
        with app.app_context():
            tick.run_jobs()
        late = client.get("/readyz")
        assert late.status_code == (200 if seconds <= 3 * interval else 503)
    assert late.get_json()["late_jobs"] == ["sms_no_response"]
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.name == "sms_no_response"))
        assert (run.failures_in_a_row, run.last_succeeded_at) == (4, NOON)
        assert run.last_summary == "failed (RuntimeError)"

    monkeypatch.setitem(tick.JOBS, "sms_no_response", lambda now: "ok")
    with app.app_context():
        tick.run_job("sms_no_response")
    assert client.get("/readyz").status_code == 200


def test_a_scheduler_that_stopped_makes_every_job_late(app, client, clock, monkeypatch):
    for name in list(tick.load_jobs()):
        monkeypatch.setitem(tick.JOBS, name, lambda now: "ok")
    with app.app_context():
        tick.run_jobs()
    set_clock(NOON + timedelta(seconds=3 * app.config["JOB_INTERVAL_SECONDS"] + 1))
    assert sorted(client.get("/readyz").get_json()["late_jobs"]) == sorted(tick.JOBS)


def test_the_admins_dashboard_names_the_late_jobs(app, world, client, login, clock):
    login(world.admin)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Scheduled checks are not running" in page and "sms_outbox" in page
    assert "has not succeeded yet" in page


def test_late_jobs_are_not_on_a_coordinators_dashboard(app, world, client, login, clock):
    login(world.coordinator)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Today at a glance" in page and "Scheduled checks are not running" not in page
