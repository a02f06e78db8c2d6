"""A user changing their own password, and the one-time reset link an administrator hands over.

Either way the new password meets the same rules (auth.strength), the change is audited, and
every other way in ends: the user's sessions (a new session token) and their API tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from outreach.audit import refusals
from outreach.audit.services import record
from outreach.auth import passwords, tokens
from outreach.auth.access import can_manage_user
from outreach.auth.models import ApiToken, PasswordResetLink, User
from outreach.auth.services import check_password_strength
from outreach.db import db, utcnow
from outreach.errors import Forbidden

RESET_PATH = "/password-reset/"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _set_password(user: User, new_password: str, *, keep_token: ApiToken | None = None) -> None:
    """Store the new password and end every other session and API token of the user."""
    check_password_strength(new_password, user.email, user.full_name)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = secrets.token_hex(16)  # every session made with the old one ends
    tokens.revoke_all(user)
    if keep_token is not None:  # the token the change was made with goes on working
        keep_token.revoked_at = None


def change_own(user: User, current_password: str, new_password: str, *,
               keep_token: ApiToken | None = None) -> User:
    """Change `user`'s password after checking the current one (a wrong one is a refusal)."""
    if not passwords.verify_password(user.password_hash, current_password):
        refusals.note("user.password_change_refused", actor=user, subject=user)
        raise Forbidden("The current password is not right.",
                        fields={"current_password": ["Not your current password."]})
    _set_password(user, new_password, keep_token=keep_token)
    db.session.flush()
    record(user, "user.password_change", subject=user)
    return user


def issue_reset(actor: User | None, user: User) -> tuple[str, PasswordResetLink]:
    """A new one-time link for `user` (earlier unused ones die); returns the raw secret.
    `actor` None is the command line (trusted)."""
    if actor is not None and not can_manage_user(actor, user.role, user.organisation_id):
        refusals.note("user.password_reset_refused", actor=actor, subject=user)
        raise Forbidden("You cannot reset this user's password.")
    now = utcnow()
    for older in db.session.scalars(select(PasswordResetLink).where(
            PasswordResetLink.user_id == user.id, PasswordResetLink.used_at.is_(None))):
        older.used_at = now
    raw = secrets.token_urlsafe(32)
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    link = PasswordResetLink(user=user, digest=_digest(raw),
                             issued_by_id=actor.id if actor is not None else None,
                             expires_at=now + timedelta(hours=hours))
    db.session.add(link)
    db.session.flush()
    record(actor, "user.password_reset_issue", subject=user, detail={"link_id": link.id})
    return raw, link


def reset_url(raw: str) -> str:
    """The address to hand to the user."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + RESET_PATH + raw


def live_link(raw: str) -> PasswordResetLink | None:
    """The unused, unexpired link `raw` opens, of an active user; None for anything else."""
    if not raw or len(raw) > 100:
        return None
    link = db.session.scalar(select(PasswordResetLink).where(
        PasswordResetLink.digest == _digest(raw)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link if link.user.active else None


def use_reset(link: PasswordResetLink, new_password: str) -> User:
    """Set the new password through the link, which is then spent."""
    user = link.user
    _set_password(user, new_password)
    link.used_at = utcnow()
    db.session.flush()
    record(user, "user.password_reset", subject=user, detail={"link_id": link.id})
    return user
