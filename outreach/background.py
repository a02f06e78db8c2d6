"""Celery, used when CELERY_BROKER_URL is set: texts are sent by workers, ticks by beat.

Without a broker, the same work runs in-process right after each commit (see messages.outbox).
"""

from __future__ import annotations

from celery import Celery, Task, shared_task
from flask import Flask

TICK_SECONDS = 60


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
        task_ignore_result=True,
        beat_schedule={"tick": {"task": "outreach.tick", "schedule": TICK_SECONDS}},
    )
    made.set_default()
    app.extensions["celery"] = made
    return made


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
    from outreach.tick import run_jobs

    return [f"{r.name}: {r.summary}" for r in run_jobs()]
