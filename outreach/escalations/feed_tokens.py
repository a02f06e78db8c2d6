"""Feed tokens: what a feed reader puts in the Atom feed's URL, since it cannot send headers.

A feed token opens one organisation's Atom feed and nothing else. Like API tokens it is random,
shown once when made and stored only as its SHA-256 digest, so a copy of the database cannot
be turned into working feed URLs.

A token stands only while its maker could still make it: once the maker is deactivated,
deleted, moved to another organisation or given a role without a feed, it opens nothing
(`check_maker`), whatever the change went through (a page, the API, the command line, SQL).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import Select, select

from outreach.audit.services import record, refuse
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Forbidden, NotFound, ValidationFailed
from outreach.escalations.models import FeedToken
from outreach.organisations.models import Organisation

PREFIX = "oft_"  # tells it apart from an API token (otk_) in a leaked log or a support request
FEED_PATH = "/feeds/escalations.atom"
ISSUERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def feed_url(raw: str) -> str:
    """The address a feed reader subscribes to: the feed, with the token in its query."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"{FEED_PATH}?token={raw}"


def organisation_for(actor: User, organisation_id: int | None) -> Organisation:
    """Whose feed `actor` may make tokens for: their own organisation; admins name one."""
    if actor.role == Role.ADMIN:
        if organisation_id is None:
            raise ValidationFailed("Say which organisation's feed the token opens.",
                                   fields={"organisation_id": ["Required for administrators."]})
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise ValidationFailed("No such organisation.",
                                   fields={"organisation_id": ["No such organisation."]})
        return organisation
    if actor.role not in ISSUERS:
        raise Forbidden("Your role cannot do this.")
    if organisation_id is not None and organisation_id != actor.organisation_id:
        raise Forbidden("You can make feed tokens for your own organisation only.")
    return db.session.get(Organisation, actor.organisation_id)


def issue(actor: User, organisation: Organisation, name: str) -> tuple[str, FeedToken]:
    """Make a token for `organisation`'s feed; returns the raw token (shown once) and its record."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = FeedToken(organisation_id=organisation.id, digest=_digest(raw), name=name[:100],
                      created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    record(actor, "feed_token.issue", subject=token,
           detail={"organisation_id": organisation.id})
    return raw, token


def visible(actor: User, organisation_id: int | None = None) -> Select:
    """The tokens `actor` may list: their organisation's (admins: all, or one organisation's)."""
    query = select(FeedToken)
    if actor.role != Role.ADMIN:
        return query.where(FeedToken.organisation_id == actor.organisation_id)
    if organisation_id is not None:
        query = query.where(FeedToken.organisation_id == organisation_id)
    return query


def get_token(actor: User, token_id: int) -> FeedToken:
    """One token `actor` may see; another organisation's is as good as missing to them."""
    token = db.session.scalar(visible(actor).where(FeedToken.id == token_id))
    if token is None:
        raise NotFound("No such feed token.")
    return token


def revoke(actor: User, token: FeedToken) -> FeedToken:
    """Stop the token opening the feed from now on; revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(actor, "feed_token.revoke", subject=token,
               detail={"organisation_id": token.organisation_id})
    return token


def token_for(raw: str) -> FeedToken | None:
    """The live token `raw` is, noting that it was used; None if unknown or revoked."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(FeedToken).where(FeedToken.digest == _digest(raw)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    # Readers poll every few minutes: noting each use would make every read a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return token


def maker_may_issue(maker: User | None, organisation_id: int) -> bool:
    """Whether `maker` could make a token for this organisation's feed today."""
    if maker is None or not maker.active:
        return False
    if maker.role == Role.ADMIN:
        return True
    return maker.role in ISSUERS and maker.organisation_id == organisation_id


def check_maker(token: FeedToken) -> None:
    """Refuse (403, audited) a token whose maker has lost the access it was made with."""
    maker = db.session.get(User, token.created_by_id) if token.created_by_id else None
    if maker_may_issue(maker, token.organisation_id):
        return
    refuse(None, "feed_token.refused",
           "This feed token's maker no longer has access to this feed: ask for a new token.",
           subject=token, detail={"reason": "maker_lost_access", "feed_token_id": token.id,
                                  "organisation_id": token.organisation_id,
                                  "created_by_id": token.created_by_id})
