"""GET /healthz: is the application up and can it reach its database? GET /readyz: and is the
safety net running (every periodic job succeeded within JOB_LATE_AFTER of its intervals)?"""

from flask import Blueprint, jsonify
from sqlalchemy import text

from outreach.db import utcnow
from outreach.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Report the application's and the database's health."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure here means the database is not usable
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready when the database answers and no periodic job is late (503 otherwise, naming the
    late jobs: job names only, nothing about anyone)."""
    from outreach.jobs.runs import job_health
    from outreach.jobs.tick import load_jobs

    try:
        late = [job.name for job in job_health(list(load_jobs()), utcnow()) if job.late]
    except Exception:  # any failure here means the database is not usable
        db.session.rollback()
        return jsonify({"status": "not_ready", "database": "unreachable", "late_jobs": []}), 503
    db.session.rollback()  # read only
    if late:
        return jsonify({"status": "not_ready", "database": "ok", "late_jobs": late}), 503
    return jsonify({"status": "ready", "database": "ok", "late_jobs": []})
