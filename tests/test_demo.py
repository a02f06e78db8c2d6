"""`outreach seed-demo`: a complete, fictional, deterministic demo that is safe to load twice."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.auth.services import authenticate
from outreach.consent.models import Consent
from outreach.db import db
from outreach.demo import escalations as demo_escalations
from outreach.demo import history as demo_history
from outreach.demo import seed as demo
from outreach.enums import ConsentPurpose, Language, OrganisationKind, ProgrammeKind, Role
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round

DRAMA_PREFIX = "+447700900"


@pytest.fixture(autouse=True)
def _app_context(app):
    """Tests here read the database directly, as the command does, in one application context."""
    with app.app_context():
        yield


@pytest.fixture(autouse=True)
def _short_history(monkeypatch):
    """A week of history instead of a year keeps the many seeds here quick; the tests of the
    year itself ask for `full_year`."""
    monkeypatch.setattr(demo_history, "DAYS", 21)


@pytest.fixture
def full_year(monkeypatch):
    monkeypatch.setattr(demo_history, "DAYS", 365)


def current_clients() -> list[Client]:
    """The 40 clients still enrolled in Call & Check (former ones left during the year)."""
    return list(db.session.scalars(select(Client).join(ProgrammeEnrolment).where(
        ProgrammeEnrolment.programme_id == Client.programme_id,
        ProgrammeEnrolment.status == "active").order_by(Client.id)))


def seed(app):
    result = app.test_cli_runner().invoke(args=["outreach", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def seeded(app):
    return seed(app)


def by_name(model, name):
    return db.session.scalar(select(model).where(model.name == name))


def demo_user(local: str) -> User:
    return db.session.scalar(select(User).where(User.email == f"{local}@{demo.DOMAIN}"))


def test_seed_creates_organisations_programmes_and_staff(seeded):
    kinds = {name: OrganisationKind(kind) for name, kind, _ in demo.data.ORGANISATIONS.values()}
    for name, kind in kinds.items():
        assert by_name(Organisation, name).kind == kind
    assert Counter(kinds.values()) == {OrganisationKind.OPERATOR: 1, OrganisationKind.HEALTH: 2,
                                       OrganisationKind.COMMUNITY: 4}
    operator = by_name(Organisation, "Jersey Post Call & Check")
    call, online = by_name(Programme, "Call & Check"), by_name(Programme, "Get Online")
    assert (call.kind, call.operator_id, call.timezone) == (
        ProgrammeKind.CALL_AND_CHECK, operator.id, "Europe/Jersey")
    assert (online.kind, online.operator_id) == (ProgrammeKind.DIGITAL_LITERACY, operator.id)

    users = list(db.session.scalars(select(User).where(User.email.like(f"%@{demo.DOMAIN}"))))
    assert Counter(u.role for u in users) == {Role.ADMIN: 1, Role.COORDINATOR: 2,
                                              Role.VISITOR: 3, Role.PROVIDER: 3, Role.TUTOR: 1}
    providers = {u.organisation.name for u in users if u.role == Role.PROVIDER}
    assert providers == {"Maison Verte Medical Practice", "Les Ruettes Pharmacy",
                         "Island Larder Food Bank"}
    assert all(u.organisation_id == operator.id for u in users if u.role != Role.PROVIDER)
    assert "Loaded the demo" in seeded.output


def test_seed_creates_rounds_with_clients_in_walking_order(seeded):
    call = by_name(Programme, "Call & Check")
    rounds = {r.name: r for r in db.session.scalars(select(Round))}
    assert set(rounds) == {"St Helier", "St Brelade", "Trinity"}
    assert rounds["Trinity"].weekday_list == [1, 3, 5]
    assert rounds["St Helier"].weekday_list == [1, 2, 3, 4, 5]
    assert {r.visitor.role for r in rounds.values()} == {Role.VISITOR}
    assert len({r.visitor_id for r in rounds.values()}) == 3

    clients = current_clients()
    assert len(clients) == 40
    former = set(db.session.scalars(select(Client)).all()) - set(clients)
    assert len(former) == len(demo.data.FORMER_CLIENTS)
    assert all(c.round_id is None and c.enrolments[0].status == "left" for c in former)
    gp = by_name(Organisation, "Maison Verte Medical Practice")
    for round_ in rounds.values():
        on_round = [c for c in clients if c.round_id == round_.id]
        assert sorted(c.walk_order for c in on_round) == list(range(1, len(on_round) + 1))
        assert all(c.parish == round_.name and c.address.endswith(round_.name)
                   for c in on_round)
    for client in clients:
        assert client.programme_id == call.id
        assert date(1930, 1, 1) <= client.date_of_birth <= date(1955, 12, 31)
        assert client.gp_practice_id == gp.id
    assert set(Counter(c.preferred_language for c in clients)) == set(Language)
    assert sum(c.lives_alone for c in clients) > 30
    assert 5 < sum(bool(c.access_notes) for c in clients) < 30
    in_get_online = db.session.scalar(select(func.count()).select_from(ProgrammeEnrolment).where(
        ProgrammeEnrolment.programme_id == by_name(Programme, "Get Online").id))
    assert in_get_online > 0


def test_seed_gives_contacts_and_consents(seeded):
    clients = list(db.session.scalars(select(Client)))
    gp = by_name(Organisation, "Maison Verte Medical Practice")
    assert sum(1 <= len(c.contacts) <= 2 for c in clients) >= 30
    for contact in db.session.scalars(select(Contact)):
        assert contact.receives and contact.name and contact.relationship_to_client
    assert sum("visit_reports" in k.receives for c in clients for k in c.contacts) >= 30

    consents = list(db.session.scalars(select(Consent)))
    take_part = {c.client_id for c in consents
                 if c.purpose == ConsentPurpose.TAKE_PART and c.active}
    assert take_part == {c.id for c in clients}
    with_gp = {c.client_id for c in consents if c.organisation_id == gp.id}
    assert len(with_gp) >= 30
    with_contact = [c for c in consents if c.contact_id is not None]
    assert len(with_contact) >= 0.75 * sum(len(c.contacts) for c in clients)
    withdrawn = [c for c in consents if not c.active]
    assert 1 <= len(withdrawn) <= 2
    assert all(c.withdrawal_reason and c.withdrawn_at > c.given_at for c in withdrawn)


def test_every_phone_number_is_in_the_drama_range(seeded):
    numbers = [phone for model in (Client, Contact, User, Organisation)
               for phone in db.session.scalars(select(model.phone)) if phone]
    assert len(numbers) > 80
    assert all(n.startswith(DRAMA_PREFIX) and len(n) == 13 for n in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    emails = [e for model in (Client, Contact, User, Organisation)
              for e in db.session.scalars(select(model.email)) if e]
    assert all(e.endswith(("@example.com", ".example.org")) for e in emails), emails


def test_every_demo_user_can_log_in_with_the_printed_password(seeded):
    logins = demo.demo_logins()
    assert len(logins) == 10
    for role, email, password in logins:
        assert email in seeded.output and role in seeded.output
        user = authenticate(email, password)
        assert user is not None, email
        assert role.split()[0] == user.role.value
    assert authenticate(logins[0][1], "not-the-password") is None


def counts() -> dict:
    from outreach.care.models import Appointment, Prescription
    from outreach.needs.models import Need
    from outreach.visits.models import Visit, VisitPause, VisitPlan

    models = (Organisation, Programme, User, Round, Client, Contact, Consent,
              ProgrammeEnrolment, AuditEvent, VisitPlan, VisitPause, Appointment, Prescription,
              Visit, Need)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def history_counts() -> dict:
    """The rows the year of history adds besides those `counts` covers."""
    from outreach.escalations.models import Escalation, EscalationEvent
    from outreach.evaluation.models import OutcomeMeasure
    from outreach.messages.models import Message, MessageEvent, SmsNumber
    from outreach.visits.models import MissedVisit

    models = (Escalation, EscalationEvent, OutcomeMeasure, Message, MessageEvent, SmsNumber,
              MissedVisit)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_running_twice_changes_nothing(app, seeded):
    before = counts() | history_counts()
    again = seed(app)
    assert counts() | history_counts() == before
    assert "already loaded" in again.output
    table = seeded.output[seeded.output.index("Demo logins"):]
    assert again.output.endswith(table)


def test_refuses_when_fictional_numbers_are_not_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_FICTIONAL_NUMBERS", False)
    result = app.test_cli_runner().invoke(args=["outreach", "seed-demo"])
    assert result.exit_code != 0
    assert "fictional phone numbers" in result.output
    assert counts()["Client"] == 0


def test_demo_is_the_same_every_time():
    first, second = demo._people(random.Random(demo.SEED)), demo._people(random.Random(demo.SEED))
    assert first == second
    assert len({p["full_name"] for p in first}) == 40


def all_clients(api) -> list[dict]:
    items, cursor = [], None
    for _ in range(10):
        response = api.get("/clients?limit=15" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_coordinator_sees_every_client_through_the_api(seeded, api_as):
    items = all_clients(api_as(demo_user("coordinator")))
    everyone = 40 + len(demo.data.FORMER_CLIENTS)  # former clients' records are kept
    assert len(items) == everyone
    assert len({c["id"] for c in items}) == everyone


def test_visitor_sees_only_the_clients_on_their_round(seeded, api_as):
    visitor = demo_user("visitor.trinity")
    round_ = db.session.scalar(select(Round).where(Round.visitor_id == visitor.id))
    expected = set(db.session.scalars(select(Client.id).where(Client.round_id == round_.id)))
    items = all_clients(api_as(visitor))
    assert {c["id"] for c in items} == expected
    assert 0 < len(expected) < 40
    assert {c["parish"] for c in items} == {"Trinity"}


# --- Call & Check: plans, pauses, appointments, prescriptions and recent visits -------------

def _care_rows() -> dict:
    """What the Call & Check part made, by client name, to compare two loads."""
    from outreach.care.models import Appointment, Prescription
    from outreach.needs.models import Need
    from outreach.visits.models import Visit, VisitPause, VisitPlan

    names = dict(db.session.execute(select(Client.id, Client.full_name)).all())
    return {
        "plans": sorted((names[p.client_id], p.frequency.value, p.weekdays)
                        for p in db.session.scalars(select(VisitPlan))),
        "pauses": sorted((names[p.client_id], p.starts_on, p.ends_on)
                         for p in db.session.scalars(select(VisitPause))),
        "appointments": sorted((names[a.client_id], a.starts_at, a.with_whom)
                               for a in db.session.scalars(select(Appointment))),
        "prescriptions": sorted((names[p.client_id], p.status.value, p.description)
                                for p in db.session.scalars(select(Prescription))),
        "visits": sorted((names[v.client_id], v.visited_at, v.outcome.value)
                         for v in db.session.scalars(select(Visit))),
        "needs": sorted((names[n.client_id], n.category.value, n.status.value)
                        for n in db.session.scalars(select(Need))),
    }


@pytest.fixture
def clock():
    from datetime import UTC, datetime

    from outreach.db import set_clock

    moment = datetime(2026, 3, 11, 7, 30, tzinfo=UTC)  # a Wednesday morning
    set_clock(moment)
    yield moment
    set_clock(None)


def test_every_client_has_a_plan_in_the_stated_mix(clock, app):
    from outreach.visits.models import VisitPause, VisitPlan

    seed(app)
    clients = current_clients()
    plans = list(db.session.scalars(select(VisitPlan).where(
        VisitPlan.client_id.in_([c.id for c in clients]))))
    assert {p.client_id for p in plans} == {c.id for c in clients}
    assert Counter(p.frequency.value for p in plans) == demo.data.PLAN_MIX
    rounds = {r.id: r for r in db.session.scalars(select(Round))}
    by_client = {c.id: c for c in clients}
    for plan in plans:
        # Visits began the day the client joined, whenever that was.
        joined = by_client[plan.client_id].enrolments[0].enrolled_at
        assert plan.starts_on == joined.astimezone(ZoneInfo("Europe/Jersey")).date()
        assert plan.ends_on is None
        days = rounds[by_client[plan.client_id].round_id].weekday_list
        assert set(plan.weekday_list) <= set(days)  # visited only on days the round runs
        allowed = {"daily": {0}, "weekdays": {2, 3}, "weekly": {1}, "fortnightly": {1}}
        assert len(plan.weekday_list) in allowed[plan.frequency]
    pauses = list(db.session.scalars(select(VisitPause)))
    today = date(2026, 3, 11)
    assert len(pauses) == 2
    assert sum(p.starts_on <= today <= p.ends_on for p in pauses) == 1  # one in hospital now


def test_appointments_and_prescriptions_for_the_coming_days(clock, app, api_as):
    from datetime import timedelta

    from outreach.care.models import Appointment, Prescription
    from outreach.consent.services import may_share_with

    seed(app)
    appointments = list(db.session.scalars(select(Appointment)))
    assert len(appointments) == round(40 / 3)
    assert len({a.client_id for a in appointments}) == len(appointments)
    for a in appointments:
        assert clock + timedelta(hours=12) < a.starts_at < clock + timedelta(days=8)
        assert a.with_whom and a.place and a.cancelled_at is None
    pharmacy = by_name(Organisation, "Les Ruettes Pharmacy")
    ready = list(db.session.scalars(select(Prescription).where(Prescription.status == "ready")))
    assert len(ready) == 10
    for p in ready:
        assert p.pharmacy_id == pharmacy.id and p.ready_at < clock
        assert may_share_with(p.client, organisation=pharmacy)
    listed = api_as(demo_user("pharmacy")).get("/prescriptions?status=ready&limit=50")
    assert {p["id"] for p in listed.get_json()["items"]} == {p.id for p in ready}


def test_two_weeks_of_visits_with_concerns_and_a_no_answer(clock, app):
    from datetime import timedelta

    from outreach.care.models import Prescription
    from outreach.needs.models import Need
    from outreach.visits.models import Visit

    seed(app)
    today = date(2026, 3, 11)
    # The two recent weeks, after the year of history (tested below).
    visits = list(db.session.scalars(select(Visit).where(
        Visit.visited_on >= today - timedelta(days=14))))
    assert len(visits) > 150
    assert all(v.visited_on < today for v in visits)
    outcomes = Counter(v.outcome.value for v in visits)
    assert outcomes["no_answer"] == 1 and outcomes["seen_concern"] == len(demo.data.CONCERNS)
    assert outcomes["seen_well"] == len(visits) - 1 - len(demo.data.CONCERNS)
    no_answer = next(v for v in visits if v.outcome == "no_answer")
    assert no_answer.visited_on >= today - timedelta(days=3)
    recent = {v.id for v in visits}
    # Leaving out what the check-in texts of these weeks raised (tested with the year's texts).
    by_check_in = {"no_response", "other"}
    needs = [n for n in db.session.scalars(select(Need)) if n.visit_id in recent or (
        n.visit_id is None and n.category not in by_check_in and n.source != "system"
        and n.created_at.date() >= today - timedelta(days=14))]
    concern_visits = {v.id for v in visits if v.outcome == "seen_concern"}
    seen = [n for n in needs if n.visit_id is not None]
    assert {n.visit_id for n in seen if n.category != "no_answer"} == concern_visits
    # The rest were told by text, on the web form or at the door, for the escalations demo.
    assert len(needs) - len(seen) == len(demo_escalations.TOLD)
    # The no-answer raised the protocol's urgent need, old enough for tick to flag it.
    [protocol] = [n for n in needs if n.category == "no_answer"]
    assert protocol.visit_id == no_answer.id and protocol.severity == "urgent"
    assert protocol.status == "open" and protocol.created_at == no_answer.visited_at
    assert any(n.status == "open" for n in needs)
    for visit in visits:
        round_ = db.session.get(Round, visit.round_id)
        assert visit.visitor_id == round_.visitor_id
        assert visit.client.round_id == round_.id
    delivered = list(db.session.scalars(select(Prescription).where(
        Prescription.status == "delivered", Prescription.visit_id.in_(recent))))
    assert len(delivered) == 4
    assert all(p.visit_id and db.session.get(Visit, p.visit_id).prescription_delivered
               for p in delivered)


def test_call_and_check_part_is_added_once_to_an_older_demo(clock, app):
    from sqlalchemy import delete

    from outreach.care.models import Appointment, Prescription
    from outreach.needs.models import Need
    from outreach.visits.models import Visit, VisitPause, VisitPlan

    seed(app)
    first = _care_rows()
    before = counts()
    # A demo loaded before visits were planned has none of this (nor the year of history made
    # from it): the command adds it, once.
    from outreach.evaluation.models import OutcomeMeasure
    from outreach.messages.models import Message, SmsNumber
    from outreach.visits.models import MissedVisit

    former = set(db.session.scalars(select(Client.id))) - {c.id for c in current_clients()}
    for model in (OutcomeMeasure, Message, SmsNumber, MissedVisit, Need, Prescription,
                  Appointment, Visit, VisitPause, VisitPlan):
        db.session.execute(delete(model))
    db.session.execute(delete(Client).where(Client.id.in_(former)))
    db.session.commit()
    db.session.expunge_all()  # their ids may be used again (SQLite)
    added = seed(app)
    assert "Added Call & Check to the demo" in added.output
    assert _care_rows() == first  # the same plans, visits and all: deterministic
    # The audit trail only grows: routing the concerns again is recorded again.
    after = counts()
    assert after.pop("AuditEvent") > before.pop("AuditEvent")
    assert after == before
    again = seed(app)
    assert "already loaded" in again.output
    assert _care_rows() == first


def test_the_no_answer_protocol_is_at_work_in_the_demo(clock, app):
    from outreach.needs.models import Need

    seed(app)
    ticked = app.test_cli_runner().invoke(args=["outreach", "tick"])
    assert ticked.exit_code == 0, ticked.output
    assert "1 flagged to the coordinator" in ticked.output
    [protocol] = db.session.scalars(select(Need).where(Need.category == "no_answer",
                                                       Need.status == "open")).all()
    db.session.refresh(protocol)
    assert protocol.flagged_at is not None and protocol.status == "open"


def test_concerns_reach_each_partners_queue_and_some_are_overdue(clock, app, api_as):
    from outreach.escalations.models import Escalation, EscalationEvent

    seed(app)
    escalations = list(db.session.scalars(select(Escalation)))
    by_recipient = Counter(e.organisation.name for e in escalations if e.organisation)
    assert {"Maison Verte Medical Practice", "Island Larder Food Bank",
            "Ride Along Community Transport", demo.OPERATOR} <= set(by_recipient)
    statuses = Counter(e.status.value for e in escalations)
    assert statuses["resolved"] and statuses["acknowledged"] and statuses["open"]
    assert all(e.outcome is not None for e in escalations if e.status == "resolved")
    # Left unacknowledged (the transport charity has nobody logged in): passed to the
    # coordinator, and shown overdue.
    assert any(e.tier == 2 for e in escalations)
    assert any(e.overdue(clock) for e in escalations)
    unplaced = db.session.scalar(select(func.count(EscalationEvent.id)).where(
        EscalationEvent.position.is_(None)))
    assert unplaced == 0  # every event is in the feeds
    gp = demo_user("gp")
    listed = api_as(gp).get("/escalations?limit=100").get_json()["items"]
    assert listed and {e["organisation_id"] for e in listed} == {gp.organisation_id}
    feed = api_as(gp).get("/escalations?since=").get_json()["items"]
    assert feed and {i["escalation"]["organisation_id"] for i in feed} == {gp.organisation_id}


# --- Get Online: workshops, learners and the programme report --------------------------------

def _literacy_rows() -> dict:
    """What the Get Online part made, by names and times, to compare two loads (short codes are
    random on purpose, so they are left out)."""
    from outreach.literacy.models import (
        Attendance,
        SkillShown,
        Workshop,
        WorkshopEnrolment,
        WorkshopSession,
    )

    names = dict(db.session.execute(select(Client.id, Client.full_name)).all())
    enrolments = {e.id: e for e in db.session.scalars(select(WorkshopEnrolment))}
    sessions = {s.id: s for s in db.session.scalars(select(WorkshopSession))}

    def who(enrolment_id: int) -> tuple:
        e = enrolments[enrolment_id]
        return e.workshop.title, names[e.client_id]

    return {
        "workshops": sorted((w.title, w.tutor.email, w.partner.name, len(w.skills))
                            for w in db.session.scalars(select(Workshop))),
        "sessions": sorted((s.workshop.title, s.starts_at, s.venue, s.capacity, s.online)
                           for s in sessions.values()),
        "enrolments": sorted((*who(e.id), e.status.value, e.source.value, e.confidence_before,
                              e.confidence_after, e.follow_up_answer)
                             for e in enrolments.values()),
        "attendance": sorted((*who(a.enrolment_id), sessions[a.session_id].starts_at,
                              a.status.value) for a in db.session.scalars(select(Attendance))),
        "skills": sorted((*who(s.enrolment_id), s.skill_id)
                         for s in db.session.scalars(select(SkillShown))),
    }


def test_get_online_workshops_in_the_demo(clock, app):
    from outreach.demo import literacy as demo_literacy
    from outreach.literacy.models import Attendance, Workshop

    seed(app)
    online = by_name(Programme, "Get Online")
    workshops = {w.title: w for w in db.session.scalars(select(Workshop))}
    assert set(workshops) == {demo_literacy.SERIES, demo_literacy.EARLIER}
    series, earlier = workshops[demo_literacy.SERIES], workshops[demo_literacy.EARLIER]
    for workshop in (series, earlier):
        assert workshop.programme_id == online.id
        assert workshop.tutor.email == "tutor@demo.example.org"
        assert workshop.partner.name == "Rue Verte Housing Association"
        assert workshop.skills and workshop.description
        assert all(s.venue and s.accessibility_notes for s in workshop.sessions)
    past = [s for s in series.sessions if s.ends_at <= clock]
    assert len(past) == 3 and len(series.sessions) == 6
    assert min(s.starts_at for s in series.sessions if s.starts_at > clock) \
        < clock + timedelta(days=2)  # the next one tomorrow: its reminders go out today
    assert any(s.online for s in series.sessions)
    assert any("Library" in s.venue for s in series.sessions)

    statuses = Counter(e.status.value for e in _enrolments(series))
    assert statuses == {"enrolled": 8, "waiting": 2, "withdrawn": 1}
    marks = list(db.session.scalars(select(Attendance)))
    # Every learner with a place is on the register of every session held so far.
    assert len([m for m in marks if m.session in past]) == 8 * 3
    assert Counter(m.status.value for m in marks)["present"] > len(marks) / 2
    assert all(e.follow_up_sent_at is None for e in _enrolments(series))
    answered = [e for e in _enrolments(earlier) if e.follow_up_answer]
    assert answered and all(e.follow_up_sent_at and e.follow_up_answered_at for e in answered)
    assert all(e.confidence_after >= e.confidence_before for e in _enrolments(earlier)
               if e.confidence_after)


def _enrolments(workshop) -> list:
    from outreach.literacy.models import WorkshopEnrolment

    return list(db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.workshop_id == workshop.id)))


def test_a_visit_left_a_digital_help_need_to_invite_from(clock, app):
    from outreach.literacy.models import WorkshopEnrolment
    from outreach.needs.models import Need
    from outreach.visits.models import Visit

    seed(app)
    [need] = db.session.scalars(select(Need).where(Need.category == "digital_help")).all()
    assert need.status == "open" and need.source == "visit" and need.visit_id
    visit = db.session.get(Visit, need.visit_id)
    assert visit.outcome == "seen_concern" and visit.client_id == need.client_id
    # The learner-to-be is on no workshop yet, so a new user can invite them.
    assert db.session.scalar(select(func.count(WorkshopEnrolment.id)).where(
        WorkshopEnrolment.client_id == need.client_id)) == 0


def test_the_demo_report_shows_real_figures(clock, app, client, login):
    from outreach.literacy import reports

    seed(app)
    online = by_name(Programme, "Get Online")
    report = reports.build(online)
    assert report.workshops == 2 and report.learners.enrolled >= 8
    assert report.learners.waiting and report.learners.withdrawn
    assert len(report.sessions) == 4 + 3
    assert report.attendance.present and report.attendance.rate > 50
    assert 0 < report.completion.completed < report.completion.learners
    assert sum(s.learners for s in report.skills) > 0
    assert report.confidence.learners and report.confidence.mean_after \
        > report.confidence.mean_before
    assert report.follow_up.asked and sum(report.follow_up.answers.values())
    login(demo_user("coordinator"), demo.PASSWORD)
    page = client.get(f"/programmes/{online.id}/literacy-report")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('role="img"') == 3


def test_workshops_are_added_once_to_an_older_demo(clock, app, monkeypatch):
    from sqlalchemy import delete

    from outreach.literacy.models import (
        Attendance,
        SkillShown,
        Workshop,
        WorkshopEnrolment,
        WorkshopSession,
    )

    with monkeypatch.context() as older:
        older.setattr(demo_history, "seed", lambda operator: {})  # older still: no year
        seed(app)
    first = _literacy_rows()
    # A demo loaded before the workshops has none of this: the command adds it, once.
    for model in (SkillShown, Attendance, WorkshopEnrolment, WorkshopSession, Workshop):
        db.session.execute(delete(model))
    db.session.commit()
    added = seed(app)
    assert "Added the Get Online workshops to the demo" in added.output
    assert "days of history" in added.output
    assert _literacy_rows() == first  # the same workshops, learners and registers
    again = seed(app)
    assert "already loaded" in again.output
    assert _literacy_rows() == first


# --- A year of history: what the programme dashboard and reports are drawn from ---------------

# Each check below needs a whole year loaded, which takes a while: two loads share them.

def test_a_year_of_visits_enrolments_needs_and_escalations(clock, full_year, app):
    seed(app)
    _year_of_visits_with_joiners_and_leavers(clock)
    _year_of_needs_and_how_their_escalations_went(clock)


def test_a_year_of_texts_and_outcome_measures(clock, full_year, app):
    seed(app)
    _year_of_texts_and_opt_outs(clock)
    _year_of_wellbeing_and_satisfaction(clock)


def _year_of_visits_with_joiners_and_leavers(clock):
    from outreach.visits.models import MissedVisit, Visit, VisitPlan

    today = date(2026, 3, 11)
    visits = list(db.session.scalars(select(Visit)))
    days = [v.visited_on for v in visits]
    assert min(days) <= today - timedelta(days=360) and max(days) < today
    # The year and the two recent weeks join: one visit per client and day at most.
    assert len({(v.client_id, v.visited_on) for v in visits}) == len(visits)
    outcomes = Counter(v.outcome.value for v in visits)
    assert outcomes["seen_well"] > 0.9 * len(visits)
    assert all(outcomes[o] > 0 for o in ("seen_concern", "no_answer", "away", "declined"))
    assert sum(v.prescription_delivered for v in visits) > 50
    assert sum(v.appointment_reminded for v in visits) > 20

    call = by_name(Programme, "Call & Check")
    enrolments = list(db.session.scalars(select(ProgrammeEnrolment).where(
        ProgrammeEnrolment.programme_id == call.id)))
    year_ago = clock - timedelta(days=365)
    joined = [e for e in enrolments if e.enrolled_at >= year_ago]
    left = [e for e in enrolments if e.status == "left"]
    assert len(joined) == demo_history.JOINERS
    assert len(left) == len(demo.data.FORMER_CLIENTS)
    assert sum(e.status == "active" for e in enrolments) == 40
    assert {e.leaving_reason for e in left} >= {"Died", "Moved into residential care"}
    plans = {p.client_id: p for p in db.session.scalars(select(VisitPlan))}
    for enrolment in enrolments:
        mine = [v for v in visits if v.client_id == enrolment.client_id]
        assert mine and min(v.visited_at for v in mine) >= enrolment.enrolled_at
        if enrolment.status == "left":
            assert year_ago < enrolment.left_at < clock and enrolment.leaving_reason
            assert max(v.visited_at for v in mine) < enrolment.left_at
            assert plans[enrolment.client_id].ends_on < enrolment.left_at.date()
    # Consents moved with the enrolment they were given at.
    for consent in db.session.scalars(select(Consent)):
        assert consent.given_at <= clock
        assert consent.withdrawn_at is None or consent.given_at < consent.withdrawn_at < clock

    missed = list(db.session.scalars(select(MissedVisit)))
    assert missed and all(today - timedelta(days=366) <= m.due_on < today for m in missed)
    assert not {(m.client_id, m.due_on) for m in missed} & set(zip(
        [v.client_id for v in visits], days, strict=True))


def _year_of_needs_and_how_their_escalations_went(clock):
    from outreach.escalations.models import Escalation
    from outreach.needs.models import Need

    needs = list(db.session.scalars(select(Need).where(
        Need.created_at < clock - timedelta(days=15))))
    told = [n for n in needs if n.source in ("visit", "sms")]
    assert len({n.category for n in told}) >= 10
    assert {n.severity.value for n in told} == {"urgent", "soon", "routine"}
    assert {n.source.value for n in needs} == {"visit", "sms", "system"}
    assert all(n.status == "resolved" and n.resolved_at <= clock for n in needs)
    # Doors and texts not answered ended in each of the ways the safety net knows.
    unanswered = [n for n in needs if n.category in ("no_answer", "no_response")]
    assert any(n.resolution.startswith("Seen on") for n in unanswered)
    assert any(n.flagged_at is not None for n in unanswered)
    by_contact = db.session.scalars(select(Escalation).where(
        Escalation.need_id.in_([n.id for n in unanswered]), Escalation.contact_id.is_not(None),
        Escalation.acknowledged_at.is_not(None))).all()
    assert by_contact

    escalations = list(db.session.scalars(select(Escalation).where(
        Escalation.created_at < clock - timedelta(days=15))))
    assert len(escalations) > 150
    assert all(e.status in ("resolved", "reassigned") for e in escalations)
    for e in escalations:
        assert e.created_at <= (e.acknowledged_at or e.resolved_at) <= e.resolved_at < clock
    partners = Counter(e.organisation.name for e in escalations if e.organisation)
    assert {"Maison Verte Medical Practice", "Island Larder Food Bank",
            "Ride Along Community Transport", demo.OPERATOR} <= set(partners)
    rated = [e.usefulness for e in escalations if e.usefulness is not None]
    assert len(rated) > 20 and set(rated) <= {1, 2, 3, 4, 5}
    taken = [e for e in escalations if e.acknowledged_at]  # others closed with their need
    assert any(e.acknowledged_at > e.due_at for e in taken)  # some late
    assert any(e.acknowledged_at <= e.due_at for e in taken)
    assert any(e.resolved_at > e.resolve_due_at for e in escalations)
    assert any(e.tier > 1 for e in escalations)  # passed on by the SLA watch


def _year_of_texts_and_opt_outs(clock):
    from outreach.messages.models import Message, SmsNumber
    from outreach.messages.outbox import cost_of

    texts = list(db.session.scalars(select(Message).where(
        Message.created_at < clock - timedelta(days=15))))
    assert all(t.phone.startswith(DRAMA_PREFIX) for t in texts)
    check_ins = [t for t in texts if t.kind == "check_in"]
    statuses = Counter(t.status.value for t in check_ins)
    assert statuses["delivered"] > 300 and statuses["undelivered"] and statuses["failed"]
    assert {t.status.value for t in texts} <= {"delivered", "undelivered", "failed",
                                               "received", "cancelled"}
    for text in texts:
        if text.direction == "outbound":
            assert text.segments >= 1 and text.cost_estimate == cost_of(text.segments)
            assert text.created_at < text.sent_at < clock
        if text.status == "delivered":
            assert text.sent_at <= text.delivered_at
    # Check-in texts run up to yesterday, on the days nobody called at the door.
    from outreach.visits.models import Visit

    every = list(db.session.scalars(select(Message).where(Message.kind == "check_in")))
    assert max(t.created_at for t in every) > clock - timedelta(days=2)
    visited = set(db.session.execute(select(Visit.client_id, Visit.visited_on)).tuples())
    jersey = ZoneInfo("Europe/Jersey")
    assert not [t for t in every if (t.client_id, t.created_at.astimezone(jersey).date())
                in visited]
    steps = [e.status.value for e in check_ins[0].events]
    assert steps[0] == "queued" and steps[-1] == check_ins[0].status.value
    replies = [t for t in texts if t.meaning == "check_in_answer"]
    assert len(replies) > 0.7 * statuses["delivered"]
    asked = {t.id: t for t in check_ins}
    assert all(asked[r.in_reply_to_id].answered_at == r.created_at for r in replies)
    assert any(t.kind == "appointment_reminder" for t in texts)
    assert any(t.meaning == "need" and t.need_id for t in texts)
    assert sum(t.encoding == "UCS-2" for t in check_ins) > 0  # Polish and Portuguese

    opted_out = list(db.session.scalars(select(SmsNumber).where(
        SmsNumber.opted_out_at.is_not(None))))
    assert len(opted_out) == 3
    stops = [t for t in texts if t.meaning == "opt_out"]
    assert {t.phone for t in stops} == {n.phone for n in opted_out}
    for number in opted_out:
        assert not [t for t in check_ins if t.phone == number.phone
                    and t.created_at > number.opted_out_at]
    # Nothing of the year waits to be sent: `outreach tick` sends no old text.
    assert not db.session.scalar(select(func.count(Message.id)).where(
        Message.status == "queued", Message.created_at < clock - timedelta(days=15)))


def _year_of_wellbeing_and_satisfaction(clock):
    from outreach.evaluation.models import OutcomeMeasure
    from outreach.visits.models import Visit

    measures = list(db.session.scalars(select(OutcomeMeasure).order_by(OutcomeMeasure.asked_at)))
    wellbeing = [m for m in measures if m.kind == "wellbeing"]
    enrolments = db.session.scalars(select(ProgrammeEnrolment).where(
        ProgrammeEnrolment.programme_id == by_name(Programme, "Call & Check").id)).all()
    first, last = {}, {}
    for enrolment in enrolments:
        mine = [m for m in wellbeing if m.client_id == enrolment.client_id]
        baseline = mine[0]
        assert timedelta(0) < baseline.asked_at - enrolment.enrolled_at < timedelta(days=7)
        assert all(m.asked_at < (enrolment.left_at or clock) for m in mine)
        if enrolment.enrolled_at < clock - timedelta(days=100):
            assert any(m.asked_at - baseline.asked_at >= timedelta(days=84) for m in mine)
        done = [m for m in mine if m.completed_at]
        first[enrolment.client_id], last[enrolment.client_id] = done[0], done[-1]
    followed = [c for c in first if first[c] is not last[c]]
    lonelier = [c for c in followed if last[c].ucla_total > first[c].ucla_total]
    assert 0 < len(lonelier) < len(followed) / 2  # most a little less lonely, a few worse

    def mean(rows, attribute):
        return sum(getattr(r, attribute) for r in rows) / len(rows)

    firsts, lasts = [first[c] for c in followed], [last[c] for c in followed]
    assert mean(lasts, "ucla_total") < mean(firsts, "ucla_total")
    assert mean(lasts, "ons_life_satisfaction") > mean(firsts, "ons_life_satisfaction")
    assert mean(lasts, "ons_anxious") < mean(firsts, "ons_anxious")
    assert {m.source.value for m in wellbeing} == {"visit", "sms"}
    declined = [m for m in wellbeing if m.declined]
    half = [m for m in wellbeing if not m.declined and m.completed_at is None]
    assert declined and all(m.ucla_companionship is None for m in declined)
    assert half and all(m.ucla_total and m.ons_happy is None for m in half)
    for m in wellbeing:
        if m.visit_id:
            visit = db.session.get(Visit, m.visit_id)
            assert visit.client_id == m.client_id and visit.outcome.value.startswith("seen")
    satisfaction = [m.satisfaction for m in measures if m.kind == "satisfaction"]
    assert len(satisfaction) > 100 and sum(satisfaction) / len(satisfaction) > 3.8


def test_the_year_is_added_once_to_an_older_demo(clock, app, monkeypatch):
    from outreach.visits.models import Visit

    with monkeypatch.context() as older:
        # The demo as it was loaded before the year of history existed.
        older.setattr(demo_history, "seed", lambda operator: {})
        seed(app)
    assert len(current_clients()) == db.session.scalar(select(func.count(Client.id))) == 40
    added = seed(app)
    assert "Added a year of history to the demo" in added.output
    assert len(db.session.scalars(select(Client)).all()) == 40 + len(demo.data.FORMER_CLIENTS)
    oldest = db.session.scalar(select(func.min(Visit.visited_on)))
    assert oldest <= clock.date() - timedelta(days=demo_history.DAYS - 1)
    visits = db.session.execute(select(Visit.client_id, Visit.visited_on)).all()
    assert len(set(visits)) == len(visits)
    before = counts() | history_counts()
    again = seed(app)
    assert "already loaded" in again.output
    assert counts() | history_counts() == before
