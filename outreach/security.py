"""Security headers on every response, and the session user loader."""

from __future__ import annotations

from flask import Flask, g

from outreach.extensions import db, login_manager

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    # "strong" drops the session if the browser or address changes mid-session.
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        from outreach.auth.models import User

        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_token != token:
            return None
        g.user = user
        return user

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy",
                                    "geolocation=(), camera=(), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages show personal data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        if is_download(response):
            # Reports and extracts are files of personal data or figures about people: kept by
            # no cache at all, whatever the view (or send_file's own caching rules) set.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
            response.headers.pop("ETag", None)
            response.headers.pop("Last-Modified", None)
        return response


DOWNLOAD_TYPES = {"text/csv", "application/pdf", "application/zip"}


def is_download(response) -> bool:
    """A file for saving (CSV, PDF, ZIP, or any attachment) rather than a page or API answer."""
    disposition = response.headers.get("Content-Disposition", "")
    return (response.mimetype in DOWNLOAD_TYPES
            or disposition.strip().lower().startswith("attachment"))
