"""Log in and out."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from outreach.audit import refusals
from outreach.audit.services import record
from outreach.auth import ratelimits, services
from outreach.auth.sessions import end_sessions
from outreach.db import db
from outreach.enums import Role
from outreach.web.redirects import safe_next

bp = Blueprint("web", __name__)


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
            db.session.commit()
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
    db.session.commit()
    flash("You have logged out.", "info")
    return redirect(url_for("web.login"))


@bp.get("/")
def home():
    """Send people to their starting page: the round, the dashboard, prescriptions or clients."""
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(start_page())


def start_page() -> str:
    """Where the logged-in user starts: visitors their round, staff the dashboard, providers
    their queue of escalations (a pharmacy reaches its prescriptions from the menu), tutors
    their sessions, everyone else the client list."""
    if current_user.role == Role.VISITOR:
        return url_for("visitor.today")
    if current_user.role in (Role.ADMIN, Role.COORDINATOR):
        return url_for("dashboard.index")
    if current_user.role == Role.PROVIDER:
        return url_for("escalations.queue")
    if current_user.role == Role.TUTOR:
        return url_for("tutor.sessions")
    return url_for("clients.index")
