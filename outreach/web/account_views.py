"""Your own password: the page every user reaches from the menu, and the page a one-time reset
link opens."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from outreach.auth import password_changes, ratelimits
from outreach.db import db
from outreach.errors import Forbidden, ValidationFailed

bp = Blueprint("account", __name__)
MISMATCH = "The two new passwords are not the same."
WRONG_CURRENT = "That is not your current password."


@bp.before_request
def _web():
    g.via = "web"


def _field(name: str) -> str:
    return request.form.get(name, "")[:200]


def _mismatch() -> dict:
    if _field("new_password") != _field("confirm_password"):
        return {"confirm_password": MISMATCH}
    return {}


def _strength_errors(exc: ValidationFailed) -> dict:
    return {"new_password": " ".join(exc.fields.get("password", [exc.message]))}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@ratelimits.password_change
def password():
    """Change your own password, giving the current one."""
    errors: dict = {}
    status = 200
    if request.method == "POST":
        errors = _mismatch()
        if not errors:
            user = current_user._get_current_object()
            try:
                password_changes.change_own(user, _field("current_password"),
                                            _field("new_password"))
            except Forbidden:
                errors, status = {"current_password": WRONG_CURRENT}, 403
            except ValidationFailed as exc:
                errors = _strength_errors(exc)
            else:
                # Every session ended with the old password; this one starts afresh.
                session.clear()
                login_user(user)
                db.session.commit()
                flash("Your password is changed. Other sessions have been logged out.", "info")
                return redirect(url_for("web.home"))
        db.session.rollback()
        status = status if status != 200 else 422
    return render_template("account/password.html", errors=errors), status


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@ratelimits.reset_per_address
@ratelimits.reset_per_link
def reset(token: str):
    """Set a new password through a one-time link an administrator handed over."""
    link = password_changes.live_link(token)
    if link is None:
        return render_template("account/reset_dead.html"), 404, {"Referrer-Policy": "no-referrer"}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        errors = _mismatch()
        if not errors:
            try:
                password_changes.use_reset(link, _field("new_password"))
            except ValidationFailed as exc:
                errors = _strength_errors(exc)
            else:
                db.session.commit()
                flash("Your password is set. Log in with it.", "info")
                return redirect(url_for("web.login"))
        db.session.rollback()
        status = 422
        link = password_changes.live_link(token)
    return (render_template("account/reset.html", email=link.user.email, errors=errors), status,
            {"Referrer-Policy": "no-referrer"})
