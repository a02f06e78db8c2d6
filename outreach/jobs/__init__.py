"""Periodic jobs and background work: `outreach tick`, Celery, the job-run records."""
