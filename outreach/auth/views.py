"""Log in and out, and your own password: the page every user reaches from the menu, and the
page a one-time reset link opens."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from outreach.audit import refusals
from outreach.audit.services import record
from outreach.auth import password_changes, ratelimits, services
from outreach.auth.sessions import end_sessions
from outreach.db import db
from outreach.enums import Role
from outreach.errors import Forbidden, ValidationFailed
from outreach.web.redirects import safe_next

bp = Blueprint("auth", __name__)
MISMATCH = "The two new passwords are not the same."
WRONG_CURRENT = "That is not your current password."


@bp.before_request
def _web():
    g.via = "web"


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    return safe_next(target) or start_page()


@bp.route("/login", methods=["GET", "POST"])
@ratelimits.login_limits
def login():
    """The login form; a failed attempt says nothing about which part was wrong."""
    if current_user.is_authenticated:
        return redirect(start_page())
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")[:320]
        password = request.form.get("password", "")[:200]
        if email and password:
            user = services.authenticate(email, password)
        else:
            user = None
            refusals.note("user.login_failed", detail={"reason": "blank"})
        if user is None:
            error = "That email and password do not match an account."
        else:
            # A new session on login, so a session id planted before login is worthless.
            session.clear()
            login_user(user)
            g.via = "web"
            record(user, "user.login", subject=user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    """Log out: end the session on the server too, so a copy of its cookie opens nothing."""
    user = current_user._get_current_object()
    logout_user()
    session.clear()
    end_sessions(user)
    g.via = "web"
    record(user, "user.logout", subject=user)
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """Send people to their starting page: the round, the dashboard, prescriptions or clients."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(start_page())


def start_page() -> str:
    """Where the logged-in user starts: visitors their round, staff the dashboard, providers
    their queue of escalations (a pharmacy reaches its prescriptions from the menu), tutors
    their sessions, everyone else the client list."""
    if current_user.role == Role.VISITOR:
        return url_for("visits.visitor.today")
    if current_user.role in (Role.ADMIN, Role.COORDINATOR):
        return url_for("reports.dashboard.index")
    if current_user.role == Role.PROVIDER:
        return url_for("escalations.queue.queue")
    if current_user.role == Role.TUTOR:
        return url_for("literacy.tutor.sessions")
    return url_for("people.index")


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
                flash("Your password is changed. Other sessions have been logged out.", "info")
                return redirect(url_for("auth.home"))
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
                flash("Your password is set. Log in with it.", "info")
                return redirect(url_for("auth.login"))
        db.session.rollback()
        status = 422
        link = password_changes.live_link(token)
    return (render_template("account/reset.html", email=link.user.email, errors=errors), status,
            {"Referrer-Policy": "no-referrer"})
