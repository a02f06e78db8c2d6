"""Security headers on every response, and the session user loader."""

from __future__ import annotations

import math
import time

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach.extensions import db, limiter, login_manager

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class TrustedProxies:
    """Believe X-Forwarded-For and X-Forwarded-Proto only as far as TRUSTED_PROXY_HOPS proxies
    of our own set them: with 0 (the default) the headers are ignored, since anyone can send
    them; with n, the address the n-th proxy saw is the client's. Rate limits and the audit
    trail then key on the real client rather than on the proxy every request comes through.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._fixed: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = int(self.app.config["TRUSTED_PROXY_HOPS"])
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        if hops not in self._fixed:
            self._fixed[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return self._fixed[hops](environ, start_response)


def init_app(app: Flask) -> None:
    app.wsgi_app = TrustedProxies(app)  # type: ignore[method-assign]
    login_manager.login_view = "auth.login"
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
        if response.status_code == 429:
            response.headers.setdefault("Retry-After", str(retry_after()))
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


def retry_after() -> int:
    """Seconds until the limit this request broke lets the caller try again (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.reset_at - time.time()))
