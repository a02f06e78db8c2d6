"""What the visitor learns at the next visit: the outcomes of concerns about the client.

The visit form shows who dealt with each concern resolved since the visitor was last told, in
plain words and never the provider's own notes (which may be clinical). Recording the visit
marks those outcomes as shown, so each is told once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Exists, exists, update

from outreach.db import db
from outreach.enums import EscalationStatus
from outreach.escalations import words
from outreach.escalations.models import Escalation
from outreach.escalations.queries import outcomes_to_show
from outreach.people.models import Client
from outreach.visits.models import Visit


@dataclass(frozen=True)
class ToldOutcome:
    """One outcome as the visit form shows it."""

    escalation_id: int
    who: str
    concern: str
    outcome: str
    resolved_at: datetime

    @property
    def sentence(self) -> str:
        return f"{self.who} {self.outcome} (about {self.concern})."


def since_last_visit(client: Client) -> list[ToldOutcome]:
    """Outcomes of the client's concerns resolved since the visitor was last told, oldest first."""
    return [ToldOutcome(escalation_id=e.id, who=e.organisation.name,
                        concern=words.CONCERN_WORDS.get(e.category, "a concern"),
                        outcome=words.OUTCOME_PHRASES.get(e.outcome, "closed it"),
                        resolved_at=e.resolved_at)
            for e in outcomes_to_show(client.id)]


def _told_at(client_id, visited_at) -> tuple:
    # Only outcomes resolved by the time of the visit count: one resolved later (while the
    # phone was offline, say) was not on the form the visitor saw, so it waits for the next.
    return (Escalation.client_id == client_id,
            Escalation.status == EscalationStatus.RESOLVED,
            Escalation.outcome_shown_visit_id.is_(None),
            Escalation.organisation_id.is_not(None),
            Escalation.resolved_at <= visited_at)


def any_to_mark(client_id, visited_at) -> Exists:
    """Whether a visit to the client at `visited_at` has outcomes for `mark_shown` to mark
    (most visits have none: asked with other things, it spares them the UPDATE). The
    arguments may be values or bind parameters."""
    return exists().where(*_told_at(client_id, visited_at))


def mark_shown(visit: Visit) -> int:
    """Record that the visitor making `visit` was told the outcomes resolved before it."""
    result = db.session.execute(
        update(Escalation).where(*_told_at(visit.client_id, visit.visited_at))
        .values(outcome_shown_visit_id=visit.id)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0
