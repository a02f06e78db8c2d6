"""The key that locks a visitor's unsent visits on their phone (see static/outbox.js).

The phone keeps visits it could not send yet encrypted under this key, which it learns only
from the pages of a logged-in session. Logging out deletes those pages, so visits kept past a
logout stay locked until the same person logs in again; anyone else is given another key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app, has_request_context
from flask_login import current_user

from outreach.enums import Role

# The roles that record visits on the round pages, and so may queue them on a phone.
WALKERS = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)


def outbox_key(user_id: int) -> str:
    """The user's 256-bit outbox key, base64url: derived from SECRET_KEY, never stored."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(secret, f"visitor-outbox:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def page_outbox_key() -> dict:
    """Template context: the logged-in walker's outbox key, for the page's meta tag."""
    if has_request_context() and current_user.is_authenticated and current_user.role in WALKERS:
        return {"visitor_outbox_key": outbox_key(current_user.id)}
    return {"visitor_outbox_key": None}
