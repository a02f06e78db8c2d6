"""A hand-computed month of escalations for the partner reports (March 2026, Europe/Jersey).

The GP practice of `factories.world` receives, from the operator's programme:

| esc | made (UTC)   | urgency | acknowledged (due)   | resolved (due)        | notes          |
| E1  | 2 Mar 09:00  | urgent  | 09:30 (10:00)        | 15:00 (3 Mar)         | rated 5        |
| E2  | 5 Mar 10:00  | soon    | 16:00 (14:00)        | 8 Mar 10:00 (7th)     | passed on, 3   |
| E3  | 10 Mar 12:00 | routine | 14:00 (11th)         | -                     | open at end    |
| E4  | 20 Mar 08:00 | soon    | - (12:00)            | -                     | passed on      |
| E5  | 28 Mar 23:30 | routine | 29th 23:30 (30th)    | 2 Apr 11:30 (5th)     | rated 4        |
| E8  | 15 Mar 09:00 | urgent  | - (13:00)            | -                     | reassigned     |
| E6  | 31 Mar 23:30 | soon    | -                    | -                     | April (BST)    |
| E7  | 28 Feb 23:30 | soon    | 1 Mar 01:30 (00:30)  | 1 Mar 05:30 (2nd)     | Feb, rated 2   |

and from the other operator's programme (New York time), E10 made 1 Apr 02:00 UTC: 31 March
there. The food bank receives one (F1) in March; a designated contact one (not a partner).

March for the operator's coordinator: received 6, acknowledged 4, in time 3 (50%), passed on
2, resolved 3, in time 2 (33.3%), open at the end 3 (E3, E4, E5). Hours to acknowledge
0.5, 2, 6, 24: median 2, p90 24. To resolve 6, 72, 108: median 72, p90 108. Ratings 3, 4, 5:
mean 4. February: E7 alone (acknowledged late, resolved in time but after the month's end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from outreach.db import db
from outreach.enums import EscalationEventKind, EscalationOutcome, EscalationStatus
from outreach.escalations.services import record_event
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme
from tests import factories

CLIENT_NAME = "Zofia Kowalczyk-Brzęczyszczykiewicz"
CLIENT_PHONE = "+447700900555"
NOTE_WITH_NAME = "Saw zofia KOWALCZYK-Brzęczyszczykiewicz at home; called 07700 900555 twice."


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class PartnerMonth:
    gp: Organisation
    food_bank: Organisation
    operator: Organisation
    other_operator: Organisation


def build(world) -> PartnerMonth:
    """Make the escalations in the table above (inside the caller's transaction)."""
    prog = db.session.get(Programme, world.programme.id)
    other = db.session.get(Programme, world.other_programme.id)
    other.timezone = "America/New_York"
    gp, food_bank = (db.session.get(Organisation, o.id) for o in (world.gp, world.food_bank))
    person = factories.client(prog, full_name=CLIENT_NAME, phone=CLIENT_PHONE)
    someone = factories.client(prog)
    foreign = factories.client(other)
    Status, Outcome = EscalationStatus, EscalationOutcome

    def esc(client, to, made, category, severity, **kw):
        return factories.escalation(client, to, category=category, severity=severity,
                                    created_at=made, **kw)

    esc(person, gp, at(3, 2, 9), "fall", "urgent", due_at=at(3, 2, 10),
        resolve_due_at=at(3, 3, 9), acknowledged_at=at(3, 2, 9, 30), resolved_at=at(3, 2, 15),
        status=Status.RESOLVED, outcome=Outcome.HELPED, outcome_note=NOTE_WITH_NAME,
        usefulness=5)
    esc(someone, gp, at(3, 5, 10), "food_or_shopping", "soon", due_at=at(3, 5, 14),
        resolve_due_at=at(3, 7, 10), acknowledged_at=at(3, 5, 16),
        escalated_at=at(3, 5, 14, 5), resolved_at=at(3, 8, 10), status=Status.RESOLVED,
        outcome=Outcome.REFERRED_ON, outcome_note="Passed to the food bank.", usefulness=3)
    esc(person, gp, at(3, 10, 12), "transport", "routine", due_at=at(3, 11, 12),
        resolve_due_at=at(3, 20, 12), acknowledged_at=at(3, 10, 14),
        status=Status.ACKNOWLEDGED)
    esc(someone, gp, at(3, 20, 8), "medication", "soon", due_at=at(3, 20, 12),
        resolve_due_at=at(3, 22, 8), escalated_at=at(3, 20, 12, 1))
    esc(person, gp, at(3, 28, 23, 30), "other", "routine", due_at=at(3, 30, 23, 30),
        resolve_due_at=at(4, 5, 9), acknowledged_at=at(3, 29, 23, 30),
        resolved_at=at(4, 2, 11, 30), status=Status.RESOLVED, outcome=Outcome.NOT_NEEDED,
        usefulness=4)
    reassigned = esc(someone, gp, at(3, 15, 9), "safeguarding", "urgent", due_at=at(3, 15, 13),
                     resolve_due_at=at(3, 16, 9), status=Status.REASSIGNED)
    record_event(reassigned, EscalationEventKind.REASSIGNED, now=at(3, 15, 10))
    esc(someone, gp, at(3, 31, 23, 30), "loneliness", "soon", due_at=at(4, 1, 10),
        resolve_due_at=at(4, 3, 10))
    esc(person, gp, at(2, 28, 23, 30), "pain_or_illness", "soon", due_at=at(3, 1, 0, 30),
        resolve_due_at=at(3, 2, 9), acknowledged_at=at(3, 1, 1, 30),
        resolved_at=at(3, 1, 5, 30), status=Status.RESOLVED, outcome=Outcome.HELPED,
        usefulness=2)
    esc(foreign, gp, at(4, 1, 2), "fall", "urgent", due_at=at(4, 1, 3),
        resolve_due_at=at(4, 2, 2))
    esc(someone, food_bank, at(3, 3, 9), "food_or_shopping", "routine", due_at=at(3, 4, 9),
        resolve_due_at=at(3, 10, 9), acknowledged_at=at(3, 3, 10), status=Status.ACKNOWLEDGED)
    factories.escalation(person, contact=factories.contact(person), category="fall",
                         severity="urgent", created_at=at(3, 6, 9))
    db.session.flush()
    return PartnerMonth(gp, food_bank, db.session.get(Organisation, world.operator.id),
                        db.session.get(Organisation, world.other_operator.id))
