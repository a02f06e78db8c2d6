"""Celery, used when CELERY_BROKER_URL is set: texts and webhooks are sent by workers, and beat
schedules every periodic job as its own task, so several workers share them.

Without a broker, the same work runs in-process right after each commit (see messages.outbox),
and `outreach tick` runs every job once. Every job is safe on several workers at once (see the
README's table); the broker only carries "look at this now" hints: the work itself is in the
database, so a lost or late task costs a delay, never a text.
"""

from __future__ import annotations

from celery import Celery, Task, shared_task
from flask import Flask
from kombu import Queue

TICK_SECONDS = 60
# Periodic jobs have a queue of their own, so the safety net never waits behind a bulk send's
# thousands of texts; texts and webhooks stay on Celery's default queue. A worker started
# without -Q takes both; a deployment runs one worker for each (see the README).
JOBS_QUEUE, SENDING_QUEUE = "jobs", "celery"
# A hand-off to a broker that is down must not hold a request: give up after about this long
# (the work waits in the database for the periodic jobs).
PUBLISH_GIVE_UP_SECONDS = 1.0
RUN_JOB = "outreach.run_job"


def beat_schedule(job_names, every: float = TICK_SECONDS) -> dict:
    """One beat entry per periodic job, every `every` seconds; a run not started within that
    time is dropped (the next one does the same work), so a broker outage leaves no pile-up."""
    return {f"job:{name}": {"task": RUN_JOB, "schedule": every, "args": (name,),
                            "options": {"expires": every}}
            for name in job_names}


def celery_init_app(app: Flask) -> Celery:
    """Make the Celery application for `app`; each task runs in an application context."""

    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    made = Celery(app.name, task_cls=AppTask)
    made.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        # A worker killed mid-task leaves the task for another; every task is idempotent.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits out a broker outage, however long
        task_ignore_result=True,
        # Publishing (a request handing a text over) tries briefly, then fails: the caller
        # logs it and the text stays queued for the `sms_outbox` job.
        broker_connection_timeout=PUBLISH_GIVE_UP_SECONDS,
        broker_transport_options={"socket_connect_timeout": PUBLISH_GIVE_UP_SECONDS,
                                  "socket_timeout": 5 * PUBLISH_GIVE_UP_SECONDS},
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0,
                                   "interval_step": 0.1, "interval_max": 0.2},
        task_default_queue=SENDING_QUEUE,
        task_queues=(Queue(SENDING_QUEUE), Queue(JOBS_QUEUE)),
        task_routes={RUN_JOB: {"queue": JOBS_QUEUE}, "outreach.tick": {"queue": JOBS_QUEUE}},
        beat_schedule=beat_schedule(_job_names(), float(app.config["JOB_INTERVAL_SECONDS"])),
    )
    made.set_default()
    app.extensions["celery"] = made
    return made


def _job_names() -> list[str]:
    from outreach.jobs.tick import load_jobs

    return list(load_jobs())


@shared_task(name="outreach.send_text")
def send_text(message_id: int) -> str | None:
    """Send one queued text (nothing happens if another worker already has)."""
    from outreach.messages.dispatch import dispatch

    status = dispatch(message_id)
    return str(status) if status else None


@shared_task(name="outreach.deliver_webhooks")
def deliver_webhooks(organisation_ids: list[int] | None = None) -> int:
    """Send these organisations' due webhook deliveries, in order (another worker's are
    skipped)."""
    from outreach.escalations.webhooks import deliver_due

    return deliver_due(organisation_ids=organisation_ids)


@shared_task(name="outreach.tick")
def tick() -> list[str]:
    """Run every periodic job once, as `flask outreach tick` does."""
    from outreach.jobs.tick import run_jobs

    return [f"{r.name}: {r.summary}" for r in run_jobs()]


@shared_task(name=RUN_JOB)
def run_job(name: str) -> str:
    """Run one periodic job once, as beat schedules it (any worker may take it)."""
    from outreach.jobs.tick import run_job as run

    result = run(name)
    return f"{result.name}: {result.summary}"
