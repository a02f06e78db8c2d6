"""Issuing, texting and using self-report links."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import MessageKind, NeedCategory, NeedSeverity, NeedSource
from outreach.errors import ValidationFailed
from outreach.messages.models import Message
from outreach.messages.notices import first_name
from outreach.messages.numbers import why_not_text
from outreach.messages.outbox import queue_text
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people.models import Client
from outreach.people.services import deny
from outreach.selfreport.models import SelfReportLink

LIFETIME = timedelta(days=30)
# What a person would report about themselves: not safeguarding (a judgement for staff to make)
# and not the safety net's own categories. In the order the form shows them.
REPORTABLE = (
    NeedCategory.FALL, NeedCategory.PAIN_OR_ILLNESS, NeedCategory.MEDICATION,
    NeedCategory.FOOD_OR_SHOPPING, NeedCategory.TRANSPORT, NeedCategory.HOME_OR_HEATING,
    NeedCategory.MONEY, NeedCategory.LONELINESS, NeedCategory.PERSONAL_CARE,
    NeedCategory.DIGITAL_HELP, NeedCategory.OTHER,
)
SEVERITY = {"today": NeedSeverity.URGENT, "few_days": NeedSeverity.SOON,
            "no_rush": NeedSeverity.ROUTINE}
DESCRIPTION_MAX = 1000
# secrets.token_urlsafe(24): 32 characters of the URL-safe alphabet. Anything else is refused
# before hashing, so a huge or odd path segment costs nothing.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def digest(token: str) -> str:
    """The SHA-256 (hex) of a token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_manager(actor: User, client: Client) -> None:
    if not access.can_manage_client(actor, client):
        deny(actor, client, "self_report_link")


def issue_link(actor: User, client: Client, now: datetime | None = None
               ) -> tuple[SelfReportLink, str]:
    """A new link for `client` (revoking earlier ones) and its token, which is never stored."""
    _require_manager(actor, client)
    now = now or utcnow()
    db.session.execute(update(SelfReportLink).where(
        SelfReportLink.client_id == client.id, SelfReportLink.revoked_at.is_(None),
    ).values(revoked_at=now).execution_options(synchronize_session="fetch"))
    token = secrets.token_urlsafe(24)
    link = SelfReportLink(client_id=client.id, token_digest=digest(token), created_at=now,
                          expires_at=now + LIFETIME, created_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    record(actor, "selfreport.issue", subject=link, client_id=client.id)
    return link, token


def send_link(actor: User, client: Client, now: datetime | None = None) -> Message:
    """Issue a link and queue the text that carries it to the client's phone."""
    _require_manager(actor, client)
    reason = why_not_text(client.phone)
    if reason:
        raise ValidationFailed(f"No link was sent. {reason}", fields={"phone": [reason]})
    now = now or utcnow()
    link, token = issue_link(actor, client, now)
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/tell-us/" + token
    return queue_text(MessageKind.FREE_TEXT, "self_report_link", to=client.phone,
                      language=client.preferred_language, programme=client.programme,
                      client=client, now=now, first_name=first_name(client.full_name),
                      link=url)


def link_for(token: str, now: datetime | None = None) -> SelfReportLink | None:
    """The link a token opens, if it is still valid (not revoked, not expired)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        return None
    wanted = digest(token)
    link = db.session.scalar(select(SelfReportLink).where(SelfReportLink.token_digest == wanted))
    # The lookup is by digest, so its timing says nothing about the token; the comparison
    # here is constant-time all the same.
    if link is None or not hmac.compare_digest(link.token_digest, wanted):
        return None
    if link.revoked_at is not None or link.expires_at <= (now or utcnow()):
        return None
    return link


def report(link: SelfReportLink, category: NeedCategory | str, how_soon: str,
           description: str, now: datetime | None = None) -> Need:
    """Raise the need a client reported through their link (source `web`)."""
    try:
        category = NeedCategory(category)
    except ValueError:
        category = None
    if category not in REPORTABLE:
        raise ValidationFailed("Choose what you need help with.",
                               fields={"category": ["Not a choice on the form."]})
    if how_soon not in SEVERITY:
        raise ValidationFailed("Choose how soon.", fields={"how_soon": ["Not a choice."]})
    if len(description) > DESCRIPTION_MAX or "\x00" in description:
        raise ValidationFailed("The text is too long.",
                               fields={"description": ["At most 1000 characters."]})
    now = now or utcnow()
    need = create_need(None, link.client, category, SEVERITY[how_soon], description.strip(),
                       NeedSource.WEB)
    link.uses += 1
    link.last_used_at = now
    record(None, "selfreport.used", subject=link, client_id=link.client_id,
           detail={"need_id": need.id})
    db.session.flush()
    return need
