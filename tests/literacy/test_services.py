"""The rules of outreach.literacy.services: places, the waiting list, offers, the register,
skills, confidence and who may teach what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from outreach.auth import access
from outreach.db import db, set_clock
from outreach.enums import ProgrammeKind, Role
from outreach.errors import Conflict, Forbidden, ValidationFailed
from outreach.events import place_offered
from outreach.literacy import services
from outreach.literacy.models import Attendance, SkillShown, WorkshopEnrolment
from outreach.people.models import Client
from tests import factories
from tests.literacy import factories as lf

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
Status = services.Status


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def w(ctx):
    """The world and its literacy part, in one open session."""
    world = factories.world()
    return world, lf.literacy(world)


def people(prog, count: int) -> list[Client]:
    return [factories.client(prog) for _ in range(count)]


# --- Places and the waiting list ----------------------------------------------------------

def test_places_then_the_waiting_list_in_order(w):
    world, lit = w
    lit.session.capacity = 2  # one place is the learner's already
    first, second, third = people(lit.programme, 3)
    placed = services.enrol(world.coordinator, lit.workshop, first, "coordinator")
    assert placed.status == Status.ENROLLED and placed.enrolled_at == NOW
    later = NOW + timedelta(minutes=5)
    waiting = services.enrol(world.coordinator, lit.workshop, second, "coordinator", now=later)
    last = services.enrol(world.coordinator, lit.workshop, third, "coordinator",
                          now=later + timedelta(minutes=1))
    assert (waiting.status, waiting.waiting_since) == (Status.WAITING, later)
    assert last.status == Status.WAITING
    assert services.places_left(lit.workshop) == 0
    # Offers go in the order people asked, one per freed place.
    offered = []
    with place_offered.connected_to(lambda enrolment, **_: offered.append(enrolment)):
        services.withdraw(world.coordinator, placed, "Moved away")
    assert offered == [waiting] and waiting.status == Status.OFFERED
    assert waiting.offer_expires_at == NOW + timedelta(hours=services.OFFER_HOURS)
    assert last.status == Status.WAITING
    # An offered place counts as taken until answered.
    assert services.places_left(lit.workshop) == 0
    services.accept_offer(waiting)
    assert waiting.status == Status.ENROLLED
    with pytest.raises(Conflict):
        services.accept_offer(waiting)


def test_double_enrolment_is_refused_in_every_live_status(w):
    world, lit = w
    for status in ("enrolled", "waiting", "offered"):
        person = factories.client(lit.programme)
        lf.enrolment(lit.workshop, person, status)
        with pytest.raises(Conflict):
            services.enrol(world.coordinator, lit.workshop, person, "coordinator")
    # A withdrawn learner may come back.
    person = factories.client(lit.programme)
    lf.enrolment(lit.workshop, person, "withdrawn")
    assert services.enrol(world.coordinator, lit.workshop, person, "coordinator").status == \
        Status.ENROLLED
    assert db.session.scalar(select(db.func.count(WorkshopEnrolment.id)).where(
        WorkshopEnrolment.client_id == person.id)) == 2


def test_capacity_is_the_smallest_session_still_to_come(w):
    _world, lit = w
    assert services.capacity(lit.workshop, NOW) == 10
    lf.session(lit.workshop, NOW + timedelta(days=14), capacity=4)
    lf.session(lit.workshop, NOW - timedelta(days=7), capacity=1)  # over: no longer counts
    lf.session(lit.workshop, NOW + timedelta(days=21), capacity=2,
               cancelled_at=NOW)  # cancelled: does not count
    assert services.capacity(lit.workshop, NOW) == 4
    assert services.places_left(lit.workshop) == 3
    # Once every session is over there are no places at all.
    assert services.capacity(lit.workshop, NOW + timedelta(days=60)) is None
    assert services.places_left(lit.workshop, NOW + timedelta(days=60)) == 0


def test_cancelling_a_session_frees_no_places_but_leaves_none_to_count(w):
    world, lit = w
    services.cancel_session(world.tutor, lit.session)
    assert services.capacity(lit.workshop, NOW) is None
    person = factories.client(lit.programme)
    assert services.enrol(world.coordinator, lit.workshop, person, "coordinator").status == \
        Status.WAITING


def test_a_bigger_room_offers_places_to_the_waiting_list(w):
    world, lit = w
    lit.session.capacity = 1
    waiting = services.enrol(world.coordinator, lit.workshop, factories.client(lit.programme),
                             "coordinator")
    assert waiting.status == Status.WAITING
    services.update_session(world.tutor, lit.session, {"capacity": 2})
    assert waiting.status == Status.OFFERED


def test_an_offer_not_answered_goes_back_to_the_end_of_the_list(w):
    world, lit = w
    lit.session.capacity = 1
    first, second = people(lit.programme, 2)
    offered = lf.enrolment(lit.workshop, first, "offered", now=NOW - timedelta(hours=50),
                           offer_expires_at=NOW - timedelta(hours=2))
    services.withdraw(world.coordinator, lit.enrolment)  # the one place is now the offer's
    waiting = lf.enrolment(lit.workshop, second, "waiting", now=NOW - timedelta(hours=1))
    assert services.expire_offers(NOW) == 1
    assert (offered.status, offered.waiting_since) == (Status.WAITING, NOW)
    assert offered.offered_at is None and offered.offer_expires_at is None
    # The place moved on to the one who had been waiting longer than the expired offer's new turn.
    assert waiting.status == Status.OFFERED
    assert services.expire_offers(NOW) == 0


def test_an_offer_still_in_time_is_kept(w):
    _world, lit = w
    offered = lf.enrolment(lit.workshop, factories.client(lit.programme), "offered")
    assert services.expire_offers(NOW + timedelta(hours=1)) == 0
    assert offered.status == Status.OFFERED


# --- Workshops and sessions ---------------------------------------------------------------

def test_workshops_belong_to_digital_literacy_programmes(w):
    world, lit = w
    with pytest.raises(ValidationFailed):
        services.create_workshop(world.coordinator, {"programme_id": world.programme.id,
                                                     "title": "Wrong programme"})
    with pytest.raises(Forbidden):
        services.create_workshop(world.other_coordinator, {"programme_id": lit.programme.id,
                                                           "title": "Not mine"})
    made = services.create_workshop(world.coordinator, {"programme_id": lit.programme.id,
                                                        "title": "Fine", "skill_ids": []})
    assert made.id and made.skills == []


def test_session_codes_are_unique_and_read_leniently(w):
    world, lit = w
    made = services.add_session(world.tutor, lit.workshop, {
        "starts_at": NOW + timedelta(days=1), "ends_at": NOW + timedelta(days=1, hours=2),
        "capacity": 6})
    assert len(made.short_code) == services.CODE_LENGTH
    assert set(made.short_code) <= set(services.CODE_ALPHABET)
    assert made.short_code != lit.session.short_code
    spaced = " ".join(made.short_code.lower())
    assert services.session_by_code(spaced) is made
    assert services.session_by_code("ZZZZZ") is None
    with pytest.raises(ValidationFailed):
        services.add_session(world.tutor, lit.workshop, {
            "starts_at": NOW, "ends_at": NOW, "capacity": 6})


# --- Who may teach what -------------------------------------------------------------------

def test_tutor_scope(w):
    world, lit = w
    assert services.may_teach(world.tutor, lit.workshop)
    assert not services.may_teach(world.tutor, lit.untaught)
    assert services.may_teach(world.coordinator, lit.untaught)
    assert not services.may_teach(world.other_coordinator, lit.workshop)
    assert not services.may_teach(world.visitor, lit.workshop)
    described = []
    for refused in (lambda: services.cancel_session(world.tutor, lf.session(lit.untaught)),
                    lambda: services.set_confidence(world.tutor, lf.enrolment(
                        lit.untaught, lit.learner), before=3)):
        with pytest.raises(Forbidden):
            refused()
        # Described for the one audit event written as the answer goes out (audit.refusals).
        described.append((g.refusal["action"], g.refusal["detail"]))
    assert described == [
        ("workshop.denied", {"workshop_id": lit.untaught.id, "action": "cancel_session"}),
        ("workshop.denied", {"workshop_id": lit.untaught.id, "action": "confidence"})]


def test_a_tutor_sees_only_the_learners_of_their_workshops(w):
    world, lit = w
    elsewhere = factories.client(lit.programme)
    lf.enrolment(lit.untaught, elsewhere)
    withdrawn = factories.client(lit.programme)
    lf.enrolment(lit.workshop, withdrawn, "withdrawn")
    seen = set(db.session.scalars(access.visible_client_ids(world.tutor)))
    assert seen == {lit.learner.id, withdrawn.id}
    other_tutor = factories.user(Role.TUTOR, world.operator)
    assert set(db.session.scalars(access.visible_client_ids(other_tutor))) == set()


def test_a_visitor_refers_only_clients_they_see(w):
    world, lit = w
    on_need = factories.need(world.client_on_round, "digital_help")
    made = services.enrol(world.visitor, lit.workshop, world.client_on_round, "referral",
                          need_id=on_need.id)
    assert made.enrolled_by_id == world.visitor.id
    off_need = factories.need(world.client_off_round, "digital_help")
    with pytest.raises(Forbidden):
        services.enrol(world.visitor, lit.workshop, world.client_off_round, "referral",
                       need_id=off_need.id)
    with pytest.raises(Forbidden):  # a referral needs the need it answers
        services.enrol(world.visitor, lit.untaught, world.client_on_round, "referral")
    with pytest.raises(Forbidden):  # another operator's workshop
        services.enrol(world.visitor, lit.other_workshop, world.client_on_round, "referral",
                       need_id=on_need.id)


# --- The register, skills and confidence --------------------------------------------------

def test_attendance_only_for_learners_enrolled_on_the_workshop(w):
    world, lit = w
    waiting = lf.enrolment(lit.workshop, factories.client(lit.programme), "waiting")
    other = lf.enrolment(lit.untaught, factories.client(lit.programme))
    for enrolment in (waiting, other):
        with pytest.raises(ValidationFailed):
            services.record_attendance(world.tutor, lit.session, enrolment, "present")
    mark = services.record_attendance(world.tutor, lit.session, lit.enrolment, "late")
    again = services.record_attendance(None, lit.session, lit.enrolment, "present", via="sms")
    assert again is mark and (mark.status, mark.via) == ("present", "sms")
    assert db.session.scalar(select(db.func.count(Attendance.id))) == 1
    lit.session.cancelled_at = NOW
    with pytest.raises(Conflict):
        services.record_attendance(world.tutor, lit.session, lit.enrolment, "present")


def test_skills_of_another_programme_are_refused(w):
    world, lit = w
    foreign = lf.skill(lit.other_programme)
    with pytest.raises(ValidationFailed):
        services.mark_skill(world.tutor, lit.enrolment, foreign.id)
    with pytest.raises(ValidationFailed):
        services.mark_skill(world.tutor, lit.enrolment, 2**31 - 1)
    shown = services.mark_skill(world.tutor, lit.enrolment, lit.skills[0].id)
    assert services.mark_skill(world.tutor, lit.enrolment, lit.skills[0].id) is shown
    assert services.mark_skill(world.tutor, lit.enrolment, lit.skills[0].id, shown=False) is None
    assert db.session.scalar(select(db.func.count(SkillShown.id))) == 0


@pytest.mark.parametrize("value", [0, 6, -1, 3.0, "3", True, 10**6])
def test_confidence_outside_one_to_five_is_refused(w, value):
    world, lit = w
    with pytest.raises(ValidationFailed):
        services.set_confidence(world.tutor, lit.enrolment, before=value)
    assert lit.enrolment.confidence_before is None


def test_confidence_before_and_after(w):
    world, lit = w
    services.set_confidence(world.tutor, lit.enrolment, before=1)
    services.set_confidence(world.tutor, lit.enrolment, after=5)
    assert (lit.enrolment.confidence_before, lit.enrolment.confidence_after) == (1, 5)


def test_the_default_checklist_is_started_once(w):
    world, _lit = w
    fresh = factories.programme(world.operator, ProgrammeKind.DIGITAL_LITERACY)
    made = services.skills_of(fresh)
    assert [s.name for s in made] == services.DEFAULT_SKILLS
    services.start_checklist(fresh)
    assert [s.id for s in services.skills_of(fresh)] == [s.id for s in made]
    assert services.skills_of(factories.programme(world.operator)) == []  # Call & Check


def test_session_codes_never_spell_a_word_we_act_on_by_text(ctx, monkeypatch):
    from outreach.literacy import services

    # The first draws spell a need word and a carrier word; then a clean one.
    draws = iter("CAREHELPKM7D")
    monkeypatch.setattr(services.secrets, "choice", lambda alphabet: next(draws))
    assert services._new_code() == "KM7D"
