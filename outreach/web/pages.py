"""Registering a feature's pages, each request to them one transaction (as the API's are).

Views and the services they call only flush. The request commits once, when the view has
answered without error (a page, a download or a redirect: any status below 400), and rolls back
otherwise: an exception, a refusal, or a form drawn again with its errors, so nothing half-done
is kept. A page drawn again with its errors still shows a client's record, whose read is audited:
the view drops its half-done work with `start_again` (or `keep`s a form refused before anything
was written), and the audit of what the page shows is kept whatever the answer's status.

The commit happens before the answer goes out, inside the view's call, so that:
- the after-request hand-overs (texts, webhooks, the feed) find the work committed;
- a failing commit (the database gone, a constraint) reaches the same error handlers as any
  other failure of the view, rather than happening after the answer was decided.
A refused request's audit event is written afterwards by `outreach.audit.refusals`.
"""

from __future__ import annotations

import contextlib
import functools

from flask import Blueprint, Flask, current_app, g, has_request_context
from sqlalchemy.exc import SQLAlchemyError

from outreach.audit import refusals
from outreach.db import db

_KEEP = "transaction_kept_on_refused_form"


def register(app: Flask, bp: Blueprint) -> None:
    """Register a feature's page blueprint (and those nested in it), each view one transaction."""
    app.register_blueprint(bp)
    prefix = f"{bp.name}."
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(prefix):
            app.view_functions[endpoint] = one_transaction(view)


def one_transaction(view):
    """`view`, committing its work when it answers below 400 and rolling it back otherwise
    (a refusal keeps nothing, even after `keep`: see outreach.audit.refusals).

    functools.wraps keeps the view's module and name, which the rate limiter and the CSRF
    exemptions go by.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _roll_back()
            raise
        if response.status_code < 400 or (g.pop(_KEEP, False)
                                          and refusals.refused_status(response) is None):
            db.session.commit()
        else:
            _roll_back()
        return response

    return wrapper


def keep() -> None:
    """Commit this request's writes even though it answers a form with its errors (a 4xx): all
    it has written is the audit of the page it shows, any half-done work having been dropped
    (`start_again`) or never begun (the form was refused before anything was written)."""
    if has_request_context():
        g.setdefault(_KEEP, True)


def start_again() -> None:
    """Drop the request's work so far (a form refused with its errors); what it writes from
    here on (the audit of the page drawn again with the errors) is kept (see `keep`)."""
    db.session.rollback()
    keep()


def _roll_back() -> None:
    # When the database itself has gone the rollback fails too; the error being handled says
    # more than this one, and the session is discarded as the request ends anyway.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
