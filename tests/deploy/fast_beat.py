"""`celery -A tests.deploy.fast_beat beat`: the deployed beat and schedule (one entry per
periodic job, on the jobs queue), with every job due each JOB_INTERVAL_SECONDS, which the tests
set to a second or two instead of a minute."""

from outreach.jobs.background import beat_schedule
from outreach.jobs.tick import load_jobs
from outreach.jobs.worker import celery, flask_app

with flask_app.app_context():
    celery.conf.beat_schedule = beat_schedule(load_jobs(),
                                              float(flask_app.config["JOB_INTERVAL_SECONDS"]))

__all__ = ["celery"]
