"""Ending a user's web sessions on the server, so a copied session cookie stops working.

A session names its user together with the user's current session token (User.get_id), and the
user loader accepts it only while that token stands. Giving the user a new token therefore ends
every session made before, on every device: a cookie saved before logging out, or kept on a
shared or lost computer, opens nothing afterwards.
"""

from __future__ import annotations

import secrets

from outreach.auth.models import User
from outreach.db import db


def end_sessions(user: User) -> None:
    """End every web session of `user` (logging out, a new password, a lost device)."""
    user.session_token = secrets.token_hex(16)
    db.session.flush()
