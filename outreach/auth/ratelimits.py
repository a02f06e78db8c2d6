"""Login rate limits: per address, and per account so a spread-out attack is slowed too."""

from __future__ import annotations

from flask import current_app, request

from outreach.extensions import limiter


def _submitted_email() -> str:
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # absurdly deep nesting; the view refuses the body itself
            data = None
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    return "login:" + (email.strip().lower()[:320] if isinstance(email, str) else "")


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _only_attempts() -> bool:
    return request.method != "POST"


per_address = limiter.limit(_limit, exempt_when=_only_attempts, scope="login-address")
per_account = limiter.limit(_limit, key_func=_submitted_email, exempt_when=_only_attempts,
                            scope="login-account")
