"""Every refusal leaves exactly one audit event, written in one place: as the answer goes out.

A refusal is any 401, 403 or 429 answer, a 404 from a route that names a record (it may be
hiding one the caller may not see), and a page sending someone to the login form. Code that
refuses may describe the refusal more precisely (`note`: which action, about which record);
whatever it says, the event is written here, once, after the rest of the request is rolled
back, so nothing of a refused request is kept but the record of the attempt.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user, user_unauthorized
from sqlalchemy.exc import OperationalError

from outreach.db import db
from outreach.errors import JSON_PREFIXES

log = logging.getLogger(__name__)

# What a refusal is called when the code refusing said nothing more.
DEFAULT_ACTIONS = {401: "access.unauthenticated", 403: "access.denied",
                   404: "access.not_found", 429: "access.limited"}


def note(action: str, *, actor=None, subject=None, client_id: int | None = None,
         detail: dict | None = None) -> None:
    """Describe the refusal this request is about to give (the last description wins)."""
    if has_request_context():
        g.refusal = {"action": action, "actor": actor, "subject": subject,
                     "client_id": client_id, "detail": detail or {}}


def init_app(app: Flask) -> None:
    """Audit every refusal; registered before the features' hooks, so it runs after them."""
    app.after_request(_audit)
    user_unauthorized.connect(_login_needed, app)


def _login_needed(sender, **extra) -> None:
    # Flask-Login is about to send the caller to the login form: a 401 for a browser.
    g.login_needed = True


def refused_status(response: Response) -> int | None:
    """The status this answer refuses with (401 for a redirect to the login form), or None."""
    status = response.status_code
    if status in (401, 403, 429):
        return status
    if status == 404 and request.url_rule is not None and request.view_args:
        return status
    if g.get("login_needed") and 300 <= status < 400:
        return 401
    return None


def _audit(response: Response) -> Response:
    status = refused_status(response)
    if status is None:
        return response
    from outreach.audit.services import record

    said = g.pop("refusal", None) or {}
    actor = said.get("actor") or _caller()
    detail = {"status": status, "endpoint": request.endpoint, "method": request.method,
              **_record_ids(), **said.get("detail", {})}
    # Whatever the request did before it was refused is not kept; the attempt is.
    db.session.rollback()
    try:
        record(actor, said.get("action") or DEFAULT_ACTIONS[status],
               subject=said.get("subject"), client_id=said.get("client_id"), detail=detail)
        db.session.commit()
    except OperationalError:
        # The database is unreachable: the refusal stands, and is logged instead (no personal
        # data: the status and the endpoint only) rather than turned into a 500.
        db.session.rollback()
        log.warning("refusal not audited, the database is unreachable: %s %s",
                    status, request.endpoint)
    return response


def _caller():
    """Who asked: the bearer of the API token, or the logged-in user, or nobody."""
    user = g.get("user")
    if user is not None:
        return user
    if request.path.startswith(JSON_PREFIXES):
        return None  # the API, feeds and FHIR never go by the session, so neither does this
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _record_ids() -> dict:
    """The ids the address named (never its tokens or other words): what was asked for."""
    return {name: value for name, value in (request.view_args or {}).items()
            if isinstance(value, int)}
