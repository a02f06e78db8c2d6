"""GET /healthz: is the application up and can it reach its database?"""

from flask import Blueprint, jsonify
from sqlalchemy import text

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
