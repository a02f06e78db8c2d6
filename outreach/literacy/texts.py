"""What the workshop texts say about a session: its day, time and place in the learner's language.

The templates themselves live with every other text (outreach/messages/texts: `workshop_*` and
`reply_learn_*`, `reply_session_*`, `reply_offer_*`, `reply_follow_up_thanks`), where the tests
check each exists in four languages with the same fields. Times are the programme's wall clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from outreach.db import db
from outreach.enums import Language
from outreach.literacy.models import Workshop, WorkshopSession
from outreach.messages.notices import first_name
from outreach.messages.texts import dates
from outreach.people.models import Client

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

# An online session's venue holds its joining link; a session with no venue yet says so.
ONLINE = {EN: "online", PT: "online", PL: "online", FR: "en ligne"}
NO_VENUE = {EN: "place to be confirmed", PT: "local a confirmar", PL: "miejsce do potwierdzenia",
            FR: "lieu à confirmer"}


def _language(language: Language | str | None) -> Language:
    try:
        return Language(language) if language else EN
    except ValueError:
        return EN


def place(session: WorkshopSession, language: Language | str | None) -> str:
    """Where the session is, as a text says it: the venue, or "online: <link>"."""
    lang, venue = _language(language), session.venue.strip()
    if session.online:
        return f"{ONLINE[lang]}: {venue}" if venue else ONLINE[lang]
    return venue or NO_VENUE[lang]


def session_values(session: WorkshopSession, language: Language | str | None) -> dict[str, str]:
    """The `workshop`, `day`, `time` and `place` fields of a text about `session`."""
    wall = dates.local(session.starts_at, session.workshop.programme.timezone)
    return {"workshop": session.workshop.title, "day": dates.day(wall.date(), language),
            "time": dates.clock(wall.time(), language), "place": place(session, language)}


def learner_values(client: Client) -> dict[str, str]:
    """The fields that name the learner."""
    return {"first_name": first_name(client.full_name)}


def next_session(workshop: Workshop, now: datetime) -> WorkshopSession | None:
    """The workshop's next session not yet started (and not cancelled), if any."""
    return db.session.scalar(select(WorkshopSession).where(
        WorkshopSession.workshop_id == workshop.id, WorkshopSession.starts_at > now,
        WorkshopSession.cancelled_at.is_(None)).order_by(WorkshopSession.starts_at).limit(1))


def current_or_next_session(workshop: Workshop, now: datetime) -> WorkshopSession | None:
    """The session going on now, else the next one (what a learner joining now comes to)."""
    return db.session.scalar(select(WorkshopSession).where(
        WorkshopSession.workshop_id == workshop.id, WorkshopSession.ends_at > now,
        WorkshopSession.cancelled_at.is_(None)).order_by(WorkshopSession.starts_at).limit(1))
