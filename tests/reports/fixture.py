"""A small programme counted by hand, for the dashboard's figures (all times UTC; Jersey is on
GMT until 29 March 2026, then BST, UTC+1). The range is 1 January to 31 March 2026.

    client  parish     round  enrolled     left (reason)
    A       St Helier  R1     2025-06-01   -
    B       St Helier  -      2026-01-10   -
    C       Trinity    R1     2026-02-05   2026-03-10 (Moved away)
    D       Trinity    -      2025-09-01   2026-01-20 (no reason)
    E       Trinity    -      2025-01-01   2025-12-01 (Health)
    F       St Ouen    -      2025-06-01   -

Visits: A 5 Jan seen_well, 12 Jan no_answer, 2 Feb seen_concern (and 31 Dec, 1 Apr: outside);
B 15 Jan seen_well, 3 Mar away; C 10 Feb declined. Missed: A 19 Jan, C 2 Mar (B 2 Apr outside).

No-answer needs: N1 A 12 Jan 10:00, seen again 24 h later; N6 A 20 Jan 08:00, seen again 48 h
later; N2 B 1 Feb 09:00, dealt with by the daughter 6 h later; N3 C 11 Feb 08:00, flagged,
open; N4 A 31 Mar 20:00 (21:00 BST), open, in its window; N5 B 31 Mar 23:30 (00:30 BST on
1 April: outside). Other needs: food A 5 Jan, food B 20 Feb, fall C 15 Mar, missed_visit C
2 Mar (and food A 20 Dec 2025: outside).

Escalations (hours after they were made):
    E1 A food  soon    Food bank  ack 2   resolved 20 (due 48)   rated 5
    E2 B food  soon    Food bank  ack 4   resolved 30 (due 24)   rated 3   resolved late
    E3 C fall  urgent  GP         ack 1   resolved 6  (due 4)    rated 4   resolved late
    E4 C miss  soon    contact    passed on after 3 h, never acknowledged
    E5 C N3    soon    GP         ack 10  flagged resolve-overdue  rated 2
    E6 A food  soon    Food bank  (20 Dec 2025: outside)

Texts (programme's): M1 A out delivered 1 seg £0.04 (6 Jan); M2 B out delivered 2 seg £0.08
(7 Feb); M3 C out undelivered 1 seg £0.04 (8 Feb); M4 A out failed (1 Mar); M5 B out queued
(5 Mar); M6 A in check-in answer (6 Jan); M7 C in opt-out (9 Mar); M10 to a contact, no client,
sending 1 seg £0.04 (20 Mar); M8 out delivered 31 Dec 2025 (outside); M9 another programme's.

Wellbeing (UCLA items; ONS life, worthwhile, happy, anxious), completed:
    W1 A 2025-07-01  2,2,2 = 6   5,6,5,6
    W2 A 2025-10-01  2,2,1 = 5   6,6,7,4
    W3 A 2026-02-01  1,1,1 = 3   7,6,8,3
    W4 D 2025-10-15  2,2,2 = 6   7,7,7,3
    W5 D 2026-01-08  1,2,1 = 4   8,8,8,4   (85 days after W4)
    W6 B 2026-01-11  3,3,3 = 9   2,3,2,9
    W7 C 2026-02-06  2,3,2 = 7   4,5,4,7
    W12 E 2025-02-01 3,3,3 = 9   3,3,3,8
    W13 E 2025-06-01 2,3,3 = 8   3,4,3,9   (before the range: E is not compared)
    W15 F 2026-01-10 2,2,2 = 6   5,5,5,5
    W16 F 2026-03-20 2,2,2 = 6   5,5,5,5   (69 days after W15: too soon to compare)
and not counted: A declined 1 Mar, A unfinished 20 Mar, A completed 5 Apr 2026.
Satisfaction: A 5, B 4, C 2 (and C declined).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from outreach.db import db
from outreach.enums import EnrolmentStatus, EscalationStatus, OrganisationKind, Role
from outreach.evaluation.models import OutcomeMeasure
from outreach.visits.models import MissedVisit
from tests import factories

START, END = date(2026, 1, 1), date(2026, 3, 31)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Fixture:
    programme_id: int
    other_programme_id: int
    round_id: int
    coordinator_id: int
    other_coordinator_id: int
    admin_id: int
    visitor_id: int
    provider_id: int
    tutor_id: int


def _client(prog, parish, round_id, enrolled, left=None, reason=""):
    made = factories.client(prog, parish=parish, round_id=round_id)
    enrolment = made.enrolments[0]
    enrolment.enrolled_at = enrolled
    if left is not None:
        enrolment.left_at, enrolment.leaving_reason = left, reason
        enrolment.status = EnrolmentStatus.LEFT
    db.session.flush()
    return made


def _wellbeing(c, completed, ucla, ons, **kw):
    names = ("ucla_companionship", "ucla_left_out", "ucla_isolated")
    onses = ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious")
    db.session.add(OutcomeMeasure(
        client_id=c.id, programme_id=c.programme_id, kind="wellbeing", source="visit",
        asked_at=kw.pop("asked_at", completed), completed_at=completed,
        **dict(zip(names, ucla, strict=True)), **dict(zip(onses, ons, strict=True)), **kw))


def _satisfaction(c, completed, answer, **kw):
    db.session.add(OutcomeMeasure(client_id=c.id, programme_id=c.programme_id,
                                  kind="satisfaction", source="sms", asked_at=completed,
                                  completed_at=completed, satisfaction=answer, **kw))


def build() -> Fixture:
    """The world described at the top of this module (inside an app context)."""
    operator = factories.organisation(name="Dashboard Operator")
    other_operator = factories.organisation(name="Dashboard Other Operator")
    gp = factories.organisation(OrganisationKind.HEALTH, name="Grouville GP")
    food = factories.organisation(OrganisationKind.COMMUNITY, name="Food Bank Trust")
    prog = factories.programme(operator, name="Dashboard Call & Check")
    other = factories.programme(other_operator, name="Elsewhere")
    visitor = factories.user(Role.VISITOR, operator)
    r1 = factories.round_(prog, visitor, name="R1")
    a = _client(prog, "St Helier", r1.id, at(2025, 6, 1))
    b = _client(prog, "St Helier", None, at(2026, 1, 10))
    c = _client(prog, "Trinity", r1.id, at(2026, 2, 5), at(2026, 3, 10), "Moved away")
    d = _client(prog, "Trinity", None, at(2025, 9, 1), at(2026, 1, 20), "  ")
    e = _client(prog, "Trinity", None, at(2025, 1, 1), at(2025, 12, 1), "Health")
    f = _client(prog, "St Ouen", None, at(2025, 6, 1))
    stranger = _client(other, "Trinity", None, at(2026, 1, 2))

    for who, when, outcome in [(a, at(2026, 1, 5), "seen_well"), (a, at(2026, 1, 12), "no_answer"),
                               (a, at(2026, 2, 2), "seen_concern"),
                               (a, at(2025, 12, 31), "seen_well"), (a, at(2026, 4, 1), "seen_well"),
                               (b, at(2026, 1, 15), "seen_well"), (b, at(2026, 3, 3), "away"),
                               (c, at(2026, 2, 10), "declined"),
                               (stranger, at(2026, 1, 5), "seen_well")]:
        factories.visit(who, visitor, outcome, visited_at=when)
    for who, day in [(a, date(2026, 1, 19)), (c, date(2026, 3, 2)), (b, date(2026, 4, 2)),
                     (stranger, date(2026, 1, 7))]:
        db.session.add(MissedVisit(client_id=who.id, round_id=who.round_id, due_on=day,
                                   detected_at=at(day.year, day.month, day.day, 20)))

    def need(who, category, created, severity="soon", **kw):
        return factories.need(who, category, severity, created_at=created, updated_at=created,
                              **kw)

    seen = "Seen on a later visit"
    need(a, "no_answer", at(2026, 1, 12), status="resolved",
         resolved_at=at(2026, 1, 13),
         resolution="Seen on Tuesday 13 January 2026")
    need(a, "no_answer", at(2026, 1, 20, 8), status="resolved",
         resolved_at=at(2026, 1, 22, 8),
         resolution=seen.replace("a later visit", "Thursday 22 January 2026"))
    need(b, "no_answer", at(2026, 2, 1, 9), status="resolved",
         resolved_at=at(2026, 2, 1, 15),
         resolution="Daughter called, all well")
    n3 = need(c, "no_answer", at(2026, 2, 11, 8), flagged_at=at(2026, 2, 11, 10))
    need(a, "no_answer", at(2026, 3, 31, 20))
    need(b, "no_answer", at(2026, 3, 31, 23, 30))
    need(stranger, "no_answer", at(2026, 1, 12))
    food_a = need(a, "food_or_shopping", at(2026, 1, 5))
    food_b = need(b, "food_or_shopping", at(2026, 2, 20, 9))
    fall_c = need(c, "fall", at(2026, 3, 15, 8), "urgent")
    missed_c = need(c, "missed_visit", at(2026, 3, 2, 12))
    old = need(a, "food_or_shopping", at(2025, 12, 20))

    def escalate(who, to, made_need, start, **kw):
        hours = {k: start + timedelta(hours=v) for k, v in kw.items() if k.endswith("_at")}
        rest = {k: v for k, v in kw.items() if not k.endswith("_at")}
        contact = rest.pop("contact", None)
        return factories.escalation(who, to, contact=contact, need=made_need, created_at=start,
                                    **hours, **rest)

    escalate(a, food, food_a, at(2026, 1, 5), acknowledged_at=2, resolved_at=20,
             resolve_due_at=48, usefulness=5, status=EscalationStatus.RESOLVED)
    escalate(b, food, food_b, at(2026, 2, 20, 9), acknowledged_at=4, resolved_at=30,
             resolve_due_at=24, usefulness=3, status=EscalationStatus.RESOLVED)
    escalate(c, gp, fall_c, at(2026, 3, 15, 8), acknowledged_at=1, resolved_at=6,
             resolve_due_at=4, usefulness=4, status=EscalationStatus.RESOLVED)
    escalate(c, None, missed_c, at(2026, 3, 2, 12), escalated_at=3,
             status=EscalationStatus.REASSIGNED,
             contact=factories.contact(c))
    escalate(c, gp, n3, at(2026, 2, 11, 10), acknowledged_at=10, resolve_overdue_at=72,
             usefulness=2, status=EscalationStatus.ACKNOWLEDGED)
    escalate(a, food, old, at(2025, 12, 20), acknowledged_at=100)

    def text(who, direction, status, created, **kw):
        return factories.message(who, direction, status, created_at=created, **kw)

    text(a, "outbound", "delivered", at(2026, 1, 6), segments=1, cost_estimate=Decimal("0.04"))
    text(b, "outbound", "delivered", at(2026, 2, 7), segments=2, cost_estimate=Decimal("0.08"))
    text(c, "outbound", "undelivered", at(2026, 2, 8), segments=1, cost_estimate=Decimal("0.04"))
    text(a, "outbound", "failed", at(2026, 3, 1), segments=1, cost_estimate=Decimal("0.04"))
    text(b, "outbound", "queued", at(2026, 3, 5), segments=1, cost_estimate=Decimal("0.04"))
    text(a, "inbound", "received", at(2026, 1, 6, 11), meaning="check_in_answer")
    text(c, "inbound", "received", at(2026, 3, 9), meaning="opt_out")
    text(None, "outbound", "sending", at(2026, 3, 20), programme_id=prog.id, segments=1,
         cost_estimate=Decimal("0.04"))
    text(a, "outbound", "delivered", at(2025, 12, 31), segments=1, cost_estimate=Decimal("0.04"))
    text(stranger, "outbound", "delivered", at(2026, 1, 6), segments=1,
         cost_estimate=Decimal("0.04"))

    _wellbeing(a, at(2025, 7, 1), (2, 2, 2), (5, 6, 5, 6))
    _wellbeing(a, at(2025, 10, 1), (2, 2, 1), (6, 6, 7, 4))
    _wellbeing(a, at(2026, 2, 1), (1, 1, 1), (7, 6, 8, 3))
    _wellbeing(d, at(2025, 10, 15), (2, 2, 2), (7, 7, 7, 3))
    _wellbeing(d, at(2026, 1, 8), (1, 2, 1), (8, 8, 8, 4))
    _wellbeing(f, at(2026, 1, 10), (2, 2, 2), (5, 5, 5, 5))
    _wellbeing(f, at(2026, 3, 20), (2, 2, 2), (5, 5, 5, 5))
    _wellbeing(b, at(2026, 1, 11), (3, 3, 3), (2, 3, 2, 9))
    _wellbeing(c, at(2026, 2, 6), (2, 3, 2), (4, 5, 4, 7))
    _wellbeing(e, at(2025, 2, 1), (3, 3, 3), (3, 3, 3, 8))
    _wellbeing(e, at(2025, 6, 1), (2, 3, 3), (3, 4, 3, 9))
    _wellbeing(a, None, (None,) * 3, (None,) * 4, asked_at=at(2026, 3, 1), declined=True)
    _wellbeing(a, None, (1, None, None), (None,) * 4, asked_at=at(2026, 3, 20))
    _wellbeing(a, at(2026, 4, 5), (3, 3, 3), (0, 0, 0, 10))
    _wellbeing(stranger, at(2026, 1, 20), (3, 3, 3), (0, 0, 0, 10))
    _satisfaction(a, at(2026, 1, 25), 5)
    _satisfaction(b, at(2026, 2, 25), 4)
    _satisfaction(c, at(2026, 3, 8), 2)
    _satisfaction(c, None, None, declined=True)
    _satisfaction(stranger, at(2026, 2, 1), 1)
    db.session.flush()
    return Fixture(prog.id, other.id, r1.id,
                   factories.user(Role.COORDINATOR, operator).id,
                   factories.user(Role.COORDINATOR, other_operator).id,
                   factories.user(Role.ADMIN, operator).id, visitor.id,
                   factories.user(Role.PROVIDER, gp).id, factories.user(Role.TUTOR, operator).id)


def committed(app) -> Fixture:
    """The fixture built and committed, for tests that go through HTTP."""
    with app.app_context():
        built = build()
        db.session.commit()
        return built


def detached_user(app, user_id: int):
    """One of the fixture's users, loaded and detached, to log in or make a token for."""
    from outreach.auth.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user
