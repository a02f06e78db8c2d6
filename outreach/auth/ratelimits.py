"""Login rate limits, keyed so one attacker cannot lock everyone else out.

Three counters, all on the real client address (see security.TrustedProxies):
- one account from one address (LOGIN_RATE_LIMIT): ten wrong passwords for one account stop
  that account from that address, not its neighbours behind the same address;
- one account from any address (LOGIN_RATE_LIMIT): an account is protected against many;
- failed logins from one address whatever the accounts (LOGIN_ADDRESS_RATE_LIMIT, looser, and
  counting failures only, since a depot's staff may all log in from one address at 7 am).
A breach is audited as `user.login_locked` by audit.refusals, with the account if it exists.
"""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter.util import get_remote_address

from outreach.audit import refusals
from outreach.extensions import limiter


def submitted_email() -> str:
    """The email the attempt names, folded, as the form or the JSON body sent it."""
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # absurdly deep nesting; the view refuses the body itself
            data = None
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    return email.strip().lower()[:320] if isinstance(email, str) else ""


def _account_key() -> str:
    return "login:" + submitted_email()


def _address_account_key() -> str:
    return f"login:{get_remote_address()}:{submitted_email()}"


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _only_attempts() -> bool:
    return request.method != "POST"


def _failed(response) -> bool:
    return response.status_code == 401


def _locked(limit) -> None:
    """Describe the lockout for the audit trail (the 429 itself is Flask-Limiter's)."""
    from outreach.auth.services import find_by_email

    email = submitted_email()
    account = find_by_email(email) if email else None
    refusals.note("user.login_locked", subject=account, detail={"limit": str(limit.limit)})


per_address_and_account = limiter.limit(
    _limit, key_func=_address_account_key, exempt_when=_only_attempts, on_breach=_locked,
    scope="login-address-account")
per_account = limiter.limit(_limit, key_func=_account_key, exempt_when=_only_attempts,
                            on_breach=_locked, scope="login-account")
per_address = limiter.limit(_address_limit, exempt_when=_only_attempts, deduct_when=_failed,
                            on_breach=_locked, scope="login-address")
LOGIN = (per_address_and_account, per_account, per_address)


def login_limits(view):
    """Apply every login limit to a view."""
    for limit in LOGIN:
        view = limit(view)
    return view


def _password_changer() -> str:
    """Who is changing their password: the logged-in user, or the API token's bearer."""
    from flask_login import current_user

    if not request.path.startswith("/api/") and current_user.is_authenticated:
        return f"password:user:{current_user.id}"
    header = request.headers.get("Authorization", "")
    return "password:token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()


def _reset_link() -> str:
    # The digest, not the link: the limiter's storage should not hold working links.
    raw = str((request.view_args or {}).get("token", ""))
    return "password-reset:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


# Guessing someone's current password from their unattended session is a login attempt too.
password_change = limiter.limit(_limit, key_func=_password_changer, exempt_when=_only_attempts,
                                scope="password-change")
reset_per_link = limiter.limit(_limit, key_func=_reset_link, exempt_when=_only_attempts,
                               scope="password-reset-link")
reset_per_address = limiter.limit(_address_limit, exempt_when=_only_attempts,
                                  scope="password-reset-address")
