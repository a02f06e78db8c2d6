"""Registering a feature's pages, each request to them one transaction (as the API's are).

Views and the services they call only flush. The request commits once, when the view has
answered without error (a page, a download or a redirect: any status below 400), and rolls back
otherwise: an exception, a refusal, or a form drawn again with its errors, so nothing half-done
is kept. The commit happens before the answer goes out, inside the view's call, so that:
- the after-request hand-overs (texts, webhooks, the feed) find the work committed;
- a failing commit (the database gone, a constraint) reaches the same error handlers as any
  other failure of the view, rather than happening after the answer was decided.
A refused request's audit event is written afterwards by `outreach.audit.refusals`.
"""

from __future__ import annotations

import contextlib
import functools

from flask import Blueprint, Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from outreach.db import db


def register(app: Flask, bp: Blueprint) -> None:
    """Register a feature's page blueprint (and those nested in it), each view one transaction."""
    app.register_blueprint(bp)
    prefix = f"{bp.name}."
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(prefix):
            app.view_functions[endpoint] = one_transaction(view)


def one_transaction(view):
    """`view`, committing its work when it answers below 400 and rolling it back otherwise.

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
        if response.status_code < 400:
            db.session.commit()
        else:
            _roll_back()
        return response

    return wrapper


def _roll_back() -> None:
    # When the database itself has gone the rollback fails too; the error being handled says
    # more than this one, and the session is discarded as the request ends anyway.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
