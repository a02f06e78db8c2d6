"""The digital-literacy part of `outreach seed-demo`: the Get Online workshops, and a visit's
`digital_help` need waiting to be turned into an invitation.

Two workshop series, run by the demo tutor with a housing association: "your phone and your
health", half-way through (three sessions held, the next one tomorrow, a waiting list), and
"first steps", which ended seven weeks ago and whose learners have answered the follow-up text.
Everything goes through the literacy services, each step at the time it would have happened,
and comes from its own seeded generator; only the dates move with the day the demo is loaded.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.db import clock_setting, db, set_clock, utcnow
from outreach.demo import data
from outreach.enums import (
    AttendanceStatus,
    EnrolmentSource,
    NeedCategory,
    NeedSource,
    ProgrammeKind,
    VisitOutcome,
    WorkshopEnrolmentStatus,
)
from outreach.literacy import services
from outreach.literacy.models import Attendance, Workshop, WorkshopEnrolment, WorkshopSession
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.visits.models import Visit

SEED = 2029
ZONE = ZoneInfo("Europe/Jersey")
DOMAIN = "demo.example.org"
SERIES = "Get Online: your phone and your health"
EARLIER = "Get Online: first steps"
FOLLOW_UP_AFTER = timedelta(weeks=4)
LIBRARY = ("St Helier Library, community room",
           "Step-free entrance and a lift to the first floor; hearing loop; accessible toilet "
           "on the ground floor.")
HALL = ("Rue Verte Housing Association, community hall",
        "Ground floor, level access from the car park; chairs with arms; large-print handouts.")
ONLINE = ("https://meet.example.org/get-online",
          "From home on a phone or tablet: the tutor rings the day before to help you join.")
# (days from today, place, capacity) of each series' sessions, 10:00 to 12:00.
SERIES_SESSIONS = [(-20, LIBRARY, 8), (-13, LIBRARY, 8), (-6, HALL, 8), (1, LIBRARY, 8),
                   (8, ONLINE, 10), (15, HALL, 8)]
EARLIER_SESSIONS = [(-70, LIBRARY, 8), (-63, LIBRARY, 8), (-56, HALL, 8), (-49, LIBRARY, 8)]
SERIES_SKILLS = ["Book a GP appointment online", "Order a repeat prescription online",
                 "View my health record", "Use the NHS App or the local equivalent",
                 "Spot a scam"]
EARLIER_SKILLS = ["Use email", "Video-call family", "Spot a scam"]
SERIES_LEARNERS, SERIES_WAITING, EARLIER_LEARNERS = 8, 3, 6
SOURCES = [EnrolmentSource.COORDINATOR] * 3 + [EnrolmentSource.SMS, EnrolmentSource.WEB]
HELP_WANTED = ("Would like to learn to order her repeat prescriptions and book the GP online; "
               "her son gave her a smartphone.")


def present(operator: Organisation) -> bool:
    """Have the demo's workshops already been loaded for this operator?"""
    return db.session.scalar(select(Workshop.id).join(Programme).where(
        Programme.operator_id == operator.id, Workshop.title == SERIES).limit(1)) is not None


def seed(operator: Organisation) -> dict[str, int]:
    """Add what is missing: the open digital_help need, then the two workshop series."""
    fixed = clock_setting()  # loaded "as of" a fixed time in tests: put it back afterwards
    now = utcnow()
    try:
        need = _digital_help_need(operator)
        if present(operator):
            return {"digital-help needs": int(need is not None)}
        rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret  # nosec B311
        return {"digital-help needs": int(need is not None), **_workshops(operator, rng, now)}
    finally:
        set_clock(fixed)


def _demo_user(local: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))


def _local(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=ZONE).astimezone(UTC)


# --- A visit's digital_help need ------------------------------------------------------------


def _digital_help_need(operator: Organisation) -> Need | None:
    """On the latest visit with a concern, the client also asked for help getting online: an
    open need for the coordinator to turn into a workshop invitation (None: one is there)."""
    from outreach.needs.services import create_need

    ours = select(Client.id).join(Programme, Programme.id == Client.programme_id).where(
        Programme.operator_id == operator.id, Programme.kind == ProgrammeKind.CALL_AND_CHECK)
    if db.session.scalar(select(Need.id).where(
            Need.category == NeedCategory.DIGITAL_HELP, Need.source == NeedSource.VISIT,
            Need.client_id.in_(ours)).limit(1)) is not None:
        return None
    visit = db.session.scalar(select(Visit).where(
        Visit.client_id.in_(ours), Visit.outcome == VisitOutcome.SEEN_CONCERN)
        .order_by(Visit.visited_at.desc(), Visit.id).limit(1))
    if visit is None:
        return None
    set_clock(visit.visited_at + timedelta(minutes=2))
    visitor = db.session.get(User, visit.visitor_id) if visit.visitor_id else None
    # Through the needs service, so it is routed like any other need from a visit.
    return create_need(visitor, visit.client, NeedCategory.DIGITAL_HELP, "routine",
                       HELP_WANTED, NeedSource.VISIT, visit=visit)


def _helped_client_ids() -> set[int]:
    return set(db.session.scalars(select(Need.client_id).where(
        Need.category == NeedCategory.DIGITAL_HELP)))


# --- The workshops --------------------------------------------------------------------------


def _workshops(operator: Organisation, rng: random.Random, now: datetime) -> dict[str, int]:
    programme = db.session.scalar(select(Programme).where(
        Programme.operator_id == operator.id, Programme.kind == ProgrammeKind.DIGITAL_LITERACY)
        .order_by(Programme.id).limit(1))
    coordinator, tutor = _demo_user("coordinator"), _demo_user("tutor")
    partner = _partner()
    skills = {s.name: s.id for s in services.skills_of(programme)}
    today = now.astimezone(ZONE).date()
    candidates = _candidates(operator)
    learners = rng.sample(candidates, SERIES_LEARNERS + SERIES_WAITING)
    # Two of the first series' learners came back for the second.
    earlier_learners = rng.sample(learners[:SERIES_LEARNERS], 2) + rng.sample(
        [c for c in candidates if c not in learners], EARLIER_LEARNERS - 2)

    earlier = _series(rng, coordinator, tutor, programme, partner, today, EARLIER,
                      "Four friendly sessions for beginners: email, video calls with family "
                      "and how to spot a scam.", [skills[n] for n in EARLIER_SKILLS],
                      EARLIER_SESSIONS, earlier_learners, now)
    current = _series(rng, coordinator, tutor, programme, partner, today, SERIES,
                      "Six sessions on booking GP appointments, ordering repeat prescriptions "
                      "and viewing your own health record on your phone.",
                      [skills[n] for n in SERIES_SKILLS], SERIES_SESSIONS, learners, now)
    _follow_up(rng, earlier)
    db.session.flush()
    return {"workshops": 2, "workshop sessions": len(SERIES_SESSIONS) + len(EARLIER_SESSIONS),
            "learners": len({*learners, *earlier_learners}),
            "on the waiting list": db.session.scalar(select(func.count(WorkshopEnrolment.id))
                                                     .where(
                WorkshopEnrolment.workshop_id == current.id,
                WorkshopEnrolment.status == WorkshopEnrolmentStatus.WAITING))}


def _partner() -> Organisation:
    """The housing association (added to a demo loaded before it was one of the partners)."""
    from outreach.organisations.services import create_organisation

    name, kind, email = data.ORGANISATIONS["housing"]
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    return found or create_organisation(None, {"name": name, "kind": kind, "email": email})


def _candidates(operator: Organisation) -> list[Client]:
    """Who may be a learner: any client of the operator (whatever programmes they are in now,
    so a second load picks the same people), except the one whose digital_help need is waiting:
    the coordinator invites them in the demo."""
    skip = _helped_client_ids()
    return list(db.session.scalars(select(Client).join(
        Programme, Programme.id == Client.programme_id).where(
        Programme.operator_id == operator.id, Client.id.not_in(skip)).order_by(Client.id)))


def _series(rng: random.Random, coordinator: User, tutor: User, programme: Programme,
            partner: Organisation, today: date, title: str, description: str,
            skill_ids: list[int], plan: list, learners: list[Client],
            now: datetime) -> Workshop:
    """One workshop: made two weeks before its first session, learners enrolled as they asked
    (the last ones onto the waiting list), then every session so far played forward."""
    first = _local(today + timedelta(days=plan[0][0]), time(10))
    set_clock(first - timedelta(days=21))
    workshop = services.create_workshop(coordinator, {
        "programme_id": programme.id, "title": title, "description": description,
        "tutor_id": tutor.id, "partner_id": partner.id, "skill_ids": skill_ids})
    sessions = []
    for days, (venue, notes), capacity in plan:
        starts = _local(today + timedelta(days=days), time(10))
        sessions.append(services.add_session(tutor, workshop, {
            "starts_at": starts, "ends_at": starts + timedelta(hours=2), "capacity": capacity,
            "venue": venue, "accessibility_notes": notes, "online": venue == ONLINE[0]}))
    asked = first - timedelta(days=20)
    enrolments = []
    for learner in learners:
        asked += timedelta(hours=rng.randint(5, 40))
        set_clock(asked)
        source = rng.choice(SOURCES)
        actor = coordinator if source == EnrolmentSource.COORDINATOR else None
        enrolments.append(services.enrol(actor, workshop, learner, source, now=asked))
    waiting = [e for e in enrolments if e.status == WorkshopEnrolmentStatus.WAITING]
    if waiting:
        set_clock(asked + timedelta(days=2))
        services.withdraw(coordinator, waiting[-1], "Has found a class nearer home.")
    placed = [e for e in enrolments if e.status == WorkshopEnrolmentStatus.ENROLLED]
    held = [s for s in sessions if s.ends_at <= now]
    for number, session in enumerate(held):
        _hold(rng, tutor, session, placed, skill_ids, number, last=session is sessions[-1])
    return workshop


def _hold(rng: random.Random, tutor: User, session: WorkshopSession, placed: list,
          skill_ids: list[int], number: int, *, last: bool) -> None:
    """The tutor's register, skills seen and confidence ratings at one session."""
    set_clock(session.starts_at + timedelta(minutes=15))
    for enrolment in placed:
        status = rng.choices([AttendanceStatus.PRESENT, AttendanceStatus.LATE,
                              AttendanceStatus.NO_SHOW], weights=(76, 12, 12))[0]
        services.record_attendance(tutor, session, enrolment, status)
        if status == AttendanceStatus.NO_SHOW:
            continue
        if number == 0:
            services.set_confidence(tutor, enrolment, before=rng.choice((1, 1, 2, 2, 3)))
        if number >= 1 and rng.random() < 0.6:
            services.mark_skill(tutor, enrolment, rng.choice(skill_ids), session=session)
        if last and enrolment.confidence_before is not None:
            gain = rng.choice((0, 1, 1, 2, 2, 3))
            services.set_confidence(tutor, enrolment,
                                    after=min(5, enrolment.confidence_before + gain))


def _follow_up(rng: random.Random, workshop: Workshop) -> None:
    """Four weeks after the last session each learner who came was asked by text whether they
    had used an online service since; most answered within a day or two (1, 2 or 3)."""
    asked = workshop.sessions[-1].ends_at + FOLLOW_UP_AFTER
    came = select(Attendance.enrolment_id).where(Attendance.status.in_(
        (AttendanceStatus.PRESENT, AttendanceStatus.LATE)))
    for enrolment in db.session.scalars(select(WorkshopEnrolment).where(
            WorkshopEnrolment.workshop_id == workshop.id,
            WorkshopEnrolment.status == WorkshopEnrolmentStatus.ENROLLED,
            WorkshopEnrolment.id.in_(came)).order_by(WorkshopEnrolment.id)):
        enrolment.follow_up_sent_at = asked
        if rng.random() < 0.85:
            enrolment.follow_up_answer = rng.choices((1, 2, 3), weights=(4, 3, 2))[0]
            enrolment.follow_up_answered_at = asked + timedelta(hours=rng.randint(1, 40))
