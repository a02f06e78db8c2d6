"""Celery beat schedules every periodic job as a task of its own, so several workers share
the jobs, while `outreach tick` still runs them all at once; one job runs on its own."""

from __future__ import annotations

import json
import subprocess
import sys

from outreach.jobs import tick
from outreach.jobs.background import RUN_JOB, TICK_SECONDS, beat_schedule
from tests.deploy import stack

SCHEDULE = ("import json; from outreach.jobs.worker import celery; "
            "print(json.dumps({'entries': {k: [v['task'], list(v['args'])] for k, v in "
            "celery.conf.beat_schedule.items()}, 'tasks': sorted(celery.tasks), "
            "'every': sorted({v['schedule'] for v in celery.conf.beat_schedule.values()}), "
            "'queues': {name: celery.amqp.router.route({}, name)['queue'].name for name in "
            "('outreach.run_job', 'outreach.tick', 'outreach.send_text', "
            "'outreach.deliver_webhooks')}, "
            "'consumed': sorted(q.name for q in celery.conf.task_queues)}))")


def test_each_job_has_its_own_entry_due_every_minute_and_dropped_if_late():
    names = list(tick.load_jobs())
    schedule = beat_schedule(names)
    assert sorted(schedule) == sorted(f"job:{name}" for name in names)
    for name in names:
        entry = schedule[f"job:{name}"]
        assert (entry["task"], entry["args"], entry["schedule"]) == (RUN_JOB, (name,),
                                                                      TICK_SECONDS)
        # A run Redis held back past the next one's time is dropped, not run twice over.
        assert entry["options"]["expires"] == TICK_SECONDS
    assert beat_schedule(names, every=2.0)[f"job:{names[0]}"]["schedule"] == 2.0
    assert beat_schedule([]) == {}


def test_the_deployed_worker_application_schedules_every_registered_job(tmp_path):
    env = stack.environment(f"sqlite:///{tmp_path / 'beat.sqlite3'}",
                            broker_url="redis://127.0.0.1:9/0", JOB_INTERVAL_SECONDS="30")
    done = subprocess.run([sys.executable, "-c", SCHEDULE], env=env,  # noqa: S603
                          cwd=stack.REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["entries"] == {f"job:{name}": [RUN_JOB, [name]] for name in tick.load_jobs()}
    assert "tick" not in found["entries"]  # one task running every job would serialise them
    assert found["every"] == [30.0]  # JOB_INTERVAL_SECONDS
    # Jobs have their own queue, so a bulk send's texts never hold the safety net up; a worker
    # started without -Q consumes both.
    assert found["queues"] == {"outreach.run_job": "jobs", "outreach.tick": "jobs",
                               "outreach.send_text": "celery",
                               "outreach.deliver_webhooks": "celery"}
    assert found["consumed"] == ["celery", "jobs"]
    assert {RUN_JOB, "outreach.tick", "outreach.send_text",
            "outreach.deliver_webhooks"} <= set(found["tasks"])


def test_one_job_runs_alone_and_a_failing_one_is_reported_not_raised(app, monkeypatch):
    ran = []

    def broken(now):
        ran.append(now)
        raise RuntimeError("boom")

    monkeypatch.setitem(tick.JOBS, "broken_for_test", broken)
    with app.app_context():
        result = tick.run_job("broken_for_test")
        assert (result.ok, result.summary) == (False, "failed (RuntimeError)")
        assert len(ran) == 1
        fine = tick.run_job("sms_outbox")
    assert fine.ok and fine.summary.startswith("0 text(s) handed over")
    assert fine.name == "sms_outbox"


def test_the_tick_command_still_runs_every_job_once(app, monkeypatch):
    seen = []
    for name in list(tick.load_jobs()):
        monkeypatch.setitem(tick.JOBS, name, lambda now, name=name: seen.append(name) or "ok")
    with app.app_context():
        results = tick.run_jobs()
    assert seen == list(tick.JOBS) and all(r.ok for r in results)
