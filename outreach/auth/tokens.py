"""Bearer tokens for the API: random, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from outreach.auth.models import ApiToken, User
from outreach.db import db, utcnow

PREFIX = "otk_"
# Every API request looks its token up, with the user, in one statement; built once, since
# building a statement and working out its cache key cost about as much as running it.
_BY_DIGEST = select(ApiToken).options(joinedload(ApiToken.user, innerjoin=True)).where(
    ApiToken.digest == bindparam("digest"))


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def issue(user: User, name: str = "", lifetime_days: int | None = None) -> tuple[str, ApiToken]:
    """Create a token for `user`; returns the raw token (shown once) and its record."""
    raw = PREFIX + secrets.token_urlsafe(32)
    days = current_app.config["TOKEN_LIFETIME_DAYS"] if lifetime_days is None else lifetime_days
    token = ApiToken(
        user=user,
        digest=_digest(raw),
        name=name[:100],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def user_for_token(raw: str) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(_BY_DIGEST, {"digest": _digest(raw)})
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    # Recording every use would make each read a write; once a minute is enough to see activity.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return token.user


def revoke_all(user: User) -> int:
    """Revoke every live token of `user` (on deactivation or password change)."""
    count = 0
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = utcnow()
        count += 1
    return count
