"""Programmes on the web: the programmes a coordinator runs, and each one's settings (when the
check-in texts go and how long a reply may take, quiet hours, the number texts come from, how
long a visitor has before a no-answer is escalated, the cost of a visit). Until now only the
API could change them."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from outreach.audit.services import refuse
from outreach.auth import access
from outreach.db import db
from outreach.enums import Role
from outreach.programmes.models import Programme
from outreach.programmes.schemas import ProgrammeIn
from outreach.programmes.services import update_programme
from outreach.web.forms import attempt, validate_form
from outreach.web.roles import pages_for

bp = Blueprint("programmes", __name__)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
# What the settings page changes: not a programme's kind or operator, which the API keeps.
SETTINGS = ("name", "description", "timezone", "check_in_time",
            "check_in_reply_window_minutes", "quiet_hours_start", "quiet_hours_end",
            "sms_number", "no_answer_window_minutes", "cost_per_visit")
_WHOLE_NUMBERS = ("check_in_reply_window_minutes", "no_answer_window_minutes")


pages_for(bp, *MANAGERS)


@bp.get("/programmes/")
def index():
    """The programmes the user runs (every programme for an admin), with their settings."""
    programmes = db.session.scalars(select(Programme).where(access.programme_filter(current_user))
                                    .order_by(Programme.name, Programme.id)).all()
    manageable = {p.id for p in programmes if access.can_manage_programme(current_user, p)}
    return render_template("programmes/index.html", programmes=programmes,
                           manageable=manageable)


def _managed(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    if not access.can_manage_programme(current_user, programme):
        refuse(current_user, "programme.denied", "This programme is not one you run.",
               detail={"programme_id": programme_id})
    return programme


def _shown(value) -> str:
    """A setting as the form shows it: 10:00, 6.75, +447700900123, or blank."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def _render(programme: Programme, values: dict, errors: dict, status: int = 200):
    return render_template("programmes/settings.html", programme=programme, values=values,
                           errors=errors), status


@bp.get("/programmes/<int:programme_id>/settings")
def settings(programme_id: int):
    """The programme's settings, ready to change."""
    programme = _managed(programme_id)
    return _render(programme, {name: _shown(getattr(programme, name)) for name in SETTINGS}, {})


@bp.post("/programmes/<int:programme_id>/settings")
def save_settings(programme_id: int):
    """Change the settings: checked as the API checks them, audited with the fields changed."""
    programme = _managed(programme_id)
    submitted = {name: request.form.get(name, "").strip() for name in SETTINGS}
    # Every field is sent, blanks included: a blank is a value here (no description, the
    # deployment's number) or an error, never "leave it as it was".
    data = {name: int(value) if name in _WHOLE_NUMBERS and value.isdigit() else value
            for name, value in submitted.items()}
    loaded, errors = validate_form(ProgrammeIn(only=SETTINGS), data)
    changed = {name: value for name, value in loaded.items()
               if getattr(programme, name) != ("" if value is None else value)}
    if not errors and changed:
        errors = attempt(lambda: update_programme(current_user, programme, changed))
    if errors:
        db.session.rollback()
        return _render(programme, submitted, errors, 422)
    flash(f"{programme.name}: settings saved." if changed
          else f"{programme.name}: nothing was changed.", "success")
    return redirect(url_for("programmes.index"))
