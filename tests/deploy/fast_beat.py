"""`celery -A tests.deploy.fast_beat beat`: the deployed beat and schedule (one entry per
periodic job), with every job due each second instead of each minute, for tests."""

from outreach.background import beat_schedule
from outreach.tick import load_jobs
from outreach.worker import celery, flask_app

with flask_app.app_context():
    celery.conf.beat_schedule = beat_schedule(load_jobs(), every=1.0)

__all__ = ["celery"]
