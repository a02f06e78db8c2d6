"""The literacy API: workshops, sessions, enrolments, the register, skills; who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import Language, NeedStatus, ProgrammeKind
from outreach.literacy import services
from outreach.literacy.models import (
    Attendance,
    Skill,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from tests import factories
from tests.api.test_bad_input import assert_error
from tests.conftest import counted
from tests.literacy import factories as lf

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
COUNTED = (Workshop, WorkshopSession, WorkshopEnrolment, Attendance, Skill)


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def lit(app, world):
    with app.app_context():
        made = lf.literacy(world)
        db.session.commit()
        return made


def counts(app) -> dict:
    """Rows of each literacy table (audit events aside: refusals are recorded on purpose)."""
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in COUNTED}


def events(app, action: str, actor=None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action)
        if actor is not None:
            query = query.where(AuditEvent.actor_id == actor.id)
        return list(db.session.scalars(query))


def build(app, fn, *args, **kw) -> int:
    """Run a factory (or any function returning a record) and commit; its id."""
    with app.app_context():
        made = fn(*args, **kw)
        db.session.commit()
        return made.id


def learner(app, world, lit, **kw) -> int:
    """A new client of the digital-literacy programme."""
    return build(app, lambda: factories.client(db.session.get(Programme, lit.programme.id), **kw))


def make_need(app, client_id: int, category: str, **kw) -> int:
    return build(app, lambda: factories.need(db.session.get(Client, client_id), category, **kw))


def _session_body(**changes) -> dict:
    body = {"starts_at": "2025-06-10T10:00:00+01:00", "ends_at": "2025-06-10T12:00:00+01:00",
            "venue": "Town Library", "accessibility_notes": "Lift to the first floor",
            "capacity": 8}
    body.update(changes)
    return body


# --- Workshops -------------------------------------------------------------------------------

def test_coordinator_creates_a_workshop_with_skills_and_tutor(app, world, lit, api_as):
    made = api_as(world.coordinator).post("/workshops", json={
        "programme_id": lit.programme.id, "title": "  Email for beginners ",
        "description": "Café Zoë — déjà vu ✓", "tutor_id": world.tutor.id,
        "partner_id": world.food_bank.id, "skill_ids": [lit.skills[1].id]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["title"] == "Email for beginners"
    assert body["description"] == "Café Zoë — déjà vu ✓"
    assert body["tutor_id"] == world.tutor.id and body["tutor_name"] == world.tutor.full_name
    assert body["partner_name"] == "Test Food Bank"
    assert body["skills"] == [{"id": lit.skills[1].id, "name": "Spot a scam"}]
    assert body["sessions_count"] == 0 and body["places_left"] == 0
    assert body["created_at"].endswith("+00:00")  # Jersey in winter


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": 7}, "title"),
    ({"title": "ok\x00"}, "title"),
    ({"description": "d" * 2001}, "description"),
    ({"programme_id": "1"}, "programme_id"),
    ({"programme_id": 2**40}, "programme_id"),
    ({"tutor_id": True}, "tutor_id"),
    ({"skill_ids": "1,2"}, "skill_ids"),
    ({"skill_ids": list(range(1, 60))}, "skill_ids"),
    ({"colour": "red"}, "colour"),
])
def test_bad_workshop_input_is_refused_and_nothing_stored(app, world, lit, api_as, changes,
                                                          field):
    before = counts(app)
    body = {"programme_id": lit.programme.id, "title": "Getting started"} | changes
    assert_error(api_as(world.coordinator).post("/workshops", json=body), 422, field=field)
    assert counts(app) == before


@pytest.mark.parametrize("which", ["call_and_check", "other_operator", "missing"])
def test_workshops_belong_to_a_digital_literacy_programme_of_ones_own(app, world, lit, api_as,
                                                                      which):
    programme_id = {"call_and_check": world.programme.id, "missing": 2**31 - 1,
                    "other_operator": lit.other_programme.id}[which]
    response = api_as(world.coordinator).post("/workshops", json={
        "programme_id": programme_id, "title": "Nope"})
    assert_error(response, 422, field="programme_id")


def test_workshop_references_are_checked(app, world, lit, api_as):
    api = api_as(world.coordinator)
    base = {"programme_id": lit.programme.id, "title": "Refs"}
    assert_error(api.post("/workshops", json=base | {"tutor_id": world.visitor.id}), 422,
                 field="tutor_id")
    assert_error(api.post("/workshops", json=base | {"partner_id": 2**31 - 1}), 422,
                 field="partner_id")
    foreign_skill = build(app, lambda: lf.skill(db.session.get(Programme,
                                                               lit.other_programme.id)))
    assert_error(api.post("/workshops", json=base | {"skill_ids": [foreign_skill]}), 422,
                 field="skill_ids")


def test_tutors_visitors_and_providers_cannot_create_workshops(world, lit, api_as):
    for who in (world.tutor, world.visitor, world.provider):
        assert_error(api_as(who).post("/workshops", json={
            "programme_id": lit.programme.id, "title": "Mine"}), 403)


def test_workshop_lists_hold_only_the_operators(world, lit, api_as):
    own = {lit.workshop.id, lit.untaught.id}
    for who in (world.coordinator, world.tutor, world.visitor):
        got = api_as(who).get("/workshops").get_json()
        assert {w["id"] for w in got["items"]} == own
    assert {w["id"] for w in api_as(world.admin).get("/workshops?limit=200").get_json()["items"]} \
        >= own | {lit.other_workshop.id}
    got = api_as(world.other_coordinator).get("/workshops").get_json()["items"]
    assert [w["id"] for w in got] == [lit.other_workshop.id]
    filtered = api_as(world.coordinator).get(f"/workshops?programme_id={world.programme.id}")
    assert filtered.status_code == 200, filtered.get_data()
    assert filtered.get_json()["items"] == []
    assert_error(api_as(world.provider).get("/workshops"), 403)
    assert_error(api_as(world.coordinator).get("/workshops?programme_id=abc"), 422,
                 field="programme_id")


def test_one_workshop_shows_places_left(world, lit, api_as):
    body = api_as(world.tutor).get(f"/workshops/{lit.workshop.id}").get_json()
    # One session for ten, one learner enrolled.
    assert body["places_left"] == 9 and body["sessions_count"] == 1
    assert {s["name"] for s in body["skills"]} == {"Use email", "Spot a scam"}
    assert_error(api_as(world.other_coordinator).get(f"/workshops/{lit.workshop.id}"), 404)


def test_workshop_changes(app, world, lit, api_as):
    api = api_as(world.coordinator)
    changed = api.patch(f"/workshops/{lit.untaught.id}", json={"tutor_id": world.tutor.id,
                                                               "title": "Renamed"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["tutor_id"] == world.tutor.id
    assert changed.get_json()["title"] == "Renamed"
    assert api.patch(f"/workshops/{lit.untaught.id}", json={}).status_code == 200
    assert_error(api.patch(f"/workshops/{lit.untaught.id}", json={"title": ""}), 422,
                 field="title")
    assert_error(api.patch(f"/workshops/{lit.other_workshop.id}", json={"title": "x"}), 404)
    assert_error(api_as(world.tutor).patch(f"/workshops/{lit.workshop.id}",
                                           json={"title": "Mine now"}), 403)


# --- Sessions --------------------------------------------------------------------------------

def test_tutor_adds_a_session_to_their_workshop(app, world, lit, api_as):
    made = api_as(world.tutor).post(f"/workshops/{lit.workshop.id}/sessions",
                                    json=_session_body(online=True))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["starts_at"] == "2025-06-10T10:00:00+01:00"
    assert body["workshop_id"] == lit.workshop.id and body["online"] is True
    assert len(body["short_code"]) == 4 and body["short_code"].isupper()
    assert body["places_left"] == 7  # eight seats, one learner already enrolled
    assert body["cancelled"] is False


def test_tutor_touching_another_tutors_workshop_is_refused_and_audited(app, world, lit, api_as):
    api = api_as(world.tutor)
    other_session = build(app, lambda: lf.session(db.session.get(Workshop, lit.untaught.id)))
    before = counts(app)
    assert_error(api.post(f"/workshops/{lit.untaught.id}/sessions", json=_session_body()), 403)
    assert_error(api.patch(f"/sessions/{other_session}", json={"capacity": 3}), 403)
    assert_error(api.post(f"/sessions/{other_session}/cancel"), 403)
    assert counts(app) == before
    denied = events(app, "workshop.denied", world.tutor)
    assert [e.detail["action"] for e in denied] == ["add_session", "change_session",
                                                    "cancel_session"]
    with app.app_context():
        session = db.session.get(WorkshopSession, other_session)
        assert session.capacity == 10 and session.cancelled_at is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"starts_at": "2025-06-10T10:00:00"}, "starts_at"),  # no offset: which hour?
    ({"starts_at": "next tuesday"}, "starts_at"),
    ({"ends_at": "2025-06-10T09:00:00+01:00"}, "ends_at"),
    ({"ends_at": "2025-06-11T10:00:00+01:00"}, "ends_at"),
    ({"starts_at": "1999-06-10T10:00:00+01:00", "ends_at": "1999-06-10T11:00:00+01:00"},
     "starts_at"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "8"}, "capacity"),
    ({"capacity": 8.5}, "capacity"),
    ({"capacity": 10**9}, "capacity"),
    ({"capacity": None}, "capacity"),
    ({"venue": "v" * 301}, "venue"),
    ({"online": "maybe"}, "online"),
])
def test_bad_session_input_is_refused(app, world, lit, api_as, changes, field):
    before = counts(app)
    response = api_as(world.coordinator).post(f"/workshops/{lit.workshop.id}/sessions",
                                              json=_session_body(**changes))
    assert_error(response, 422, field=field)
    assert counts(app) == before


def test_session_changes_and_cancelling(app, world, lit, api_as):
    api = api_as(world.tutor)
    moved = api.patch(f"/sessions/{lit.session.id}", json={"venue": "Parish Hall",
                                                           "capacity": 12})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["venue"] == "Parish Hall"
    assert moved.get_json()["places_left"] == 11
    # A change that leaves the end before the start is refused as a whole.
    assert_error(api.patch(f"/sessions/{lit.session.id}", json={
        "starts_at": "2030-01-01T10:00:00+00:00"}), 422, field="ends_at")
    with app.app_context():
        assert db.session.get(WorkshopSession, lit.session.id).starts_at < datetime(
            2026, 1, 1, tzinfo=UTC)
    cancelled = api.post(f"/sessions/{lit.session.id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["cancelled"] is True
    assert cancelled.get_json()["places_left"] == 0
    again = api.post(f"/sessions/{lit.session.id}/cancel")
    assert again.get_json()["cancelled_at"] == cancelled.get_json()["cancelled_at"]
    assert api.get(f"/workshops/{lit.workshop.id}").get_json()["sessions_count"] == 0


def test_session_lists_filter_by_workshop_and_time(app, world, lit, api_as):
    workshop = lit.workshop.id
    later = build(app, lambda: lf.session(db.session.get(Workshop, workshop),
                                          NOW + timedelta(days=30)))
    api = api_as(world.visitor)
    ids = [s["id"] for s in api.get(f"/sessions?workshop_id={workshop}").get_json()["items"]]
    assert ids == [lit.session.id, later]
    window = api.get("/sessions", query_string={
        "from": (NOW + timedelta(days=20)).isoformat(),
        "to": (NOW + timedelta(days=40)).isoformat()}).get_json()["items"]
    assert [s["id"] for s in window] == [later]
    assert lit.other_session.id not in {
        s["id"] for s in api.get("/sessions?limit=200").get_json()["items"]}
    assert_error(api.get("/sessions?from=yesterday"), 422, field="from")
    assert_error(api.get(f"/sessions/{lit.other_session.id}"), 404)
    assert api.get(f"/sessions/{lit.session.id}").get_json()["short_code"]


# --- Enrolments ------------------------------------------------------------------------------

def test_coordinator_enrols_then_the_waiting_list_fills(app, world, lit, api_as):
    api = api_as(world.coordinator)
    with app.app_context():
        db.session.get(WorkshopSession, lit.session.id).capacity = 2
        db.session.commit()
    first, second = (learner(app, world, lit, preferred_language=Language.POLISH)
                     for _ in range(2))
    placed = api.post("/enrolments", json={"workshop_id": lit.workshop.id, "client_id": first})
    assert placed.status_code == 201, placed.get_json()
    body = placed.get_json()
    assert body["status"] == "enrolled" and body["source"] == "coordinator"
    assert body["client"]["id"] == first and body["client"]["preferred_language"] == "pl"
    assert set(body["client"]) == {"id", "full_name", "phone", "preferred_language"}
    waiting = api.post("/enrolments", json={"workshop_id": lit.workshop.id, "client_id": second})
    assert waiting.get_json()["status"] == "waiting"
    assert waiting.get_json()["waiting_since"] is not None
    before = counts(app)
    again = api.post("/enrolments", json={"workshop_id": lit.workshop.id, "client_id": first})
    assert_error(again, 409, code="conflict")
    assert "already enrolled" in again.get_json()["error"]["message"]
    assert counts(app) == before
    # A place freed is offered to the one waiting.
    withdrawn = api.post(f"/enrolments/{body['id']}/withdraw", json={"reason": "Moved away"})
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["withdrawal_reason"] == "Moved away"
    offered = api.get(f"/enrolments/{waiting.get_json()['id']}").get_json()
    assert offered["status"] == "offered" and offered["offer_expires_at"] is not None


@pytest.mark.parametrize(("body", "field"), [
    ({}, "workshop_id"),
    ({"workshop_id": 1}, "client_id"),
    ({"workshop_id": 1, "client_id": 1, "need_id": 1}, "client_id"),
    ({"workshop_id": "1", "client_id": 1}, "workshop_id"),
    ({"workshop_id": 1, "client_id": -3}, "client_id"),
    ({"workshop_id": 1, "client_id": [1]}, "client_id"),
])
def test_bad_enrolment_bodies_are_refused(app, world, lit, api_as, body, field):
    before = counts(app)
    assert_error(api_as(world.coordinator).post("/enrolments", json=body), 422, field=field)
    assert counts(app) == before


def test_enrolment_targets_are_checked(app, world, lit, api_as):
    api = api_as(world.coordinator)
    assert_error(api.post("/enrolments", json={"workshop_id": lit.other_workshop.id,
                                               "client_id": world.client_on_round.id}),
                 422, field="workshop_id")
    assert_error(api.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                               "client_id": 2**31 - 1}), 404)
    assert_error(api.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                               "client_id": world.foreign_client.id}), 403)
    assert [e.client_id for e in events(app, "client.denied", world.coordinator)] == [
        world.foreign_client.id]


def test_visitor_turns_a_digital_help_need_into_an_invitation(app, world, lit, api_as):
    need_id = make_need(app, world.client_on_round.id, "digital_help",
                   description="Wants to book GP appointments online")
    made = api_as(world.visitor).post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                           "need_id": need_id})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["source"] == "referral" and body["need_id"] == need_id
    assert body["client"]["id"] == world.client_on_round.id and body["status"] == "enrolled"
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.status == NeedStatus.RESOLVED
        assert need.resolution == "Invited to Getting online"
        enrolment = db.session.get(WorkshopEnrolment, body["id"])
        assert enrolment.enrolled_by_id == world.visitor.id
    # The learner now also belongs to the digital-literacy programme.
    got = api_as(world.coordinator).get(f"/clients?programme_id={lit.programme.id}&limit=200")
    assert world.client_on_round.id in {c["id"] for c in got.get_json()["items"]}
    # The need is answered: a second go is refused, and nothing is added.
    before = counts(app)
    assert_error(api_as(world.coordinator).post("/enrolments", json={
        "workshop_id": lit.untaught.id, "need_id": need_id}), 409)
    assert counts(app) == before


def test_referral_refusals(app, world, lit, api_as):
    visitor = api_as(world.visitor)
    on = world.client_on_round.id
    shopping = make_need(app, on, "food_or_shopping")
    off_need = make_need(app, world.client_off_round.id, "digital_help")
    on_need = make_need(app, on, "digital_help")
    before = counts(app)
    assert_error(visitor.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                   "need_id": shopping}), 422, field="need_id")
    # Not on the visitor's round: refused and audited.
    assert_error(visitor.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                   "need_id": off_need}), 403)
    # Visitors refer through a need, never enrol someone directly.
    assert_error(visitor.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                   "client_id": world.client_on_round.id}), 403)
    assert_error(visitor.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                   "need_id": 2**31 - 1}), 404)
    assert counts(app) == before
    assert {e.client_id for e in events(app, "client.denied", world.visitor)} == {
        world.client_off_round.id, world.client_on_round.id}
    # Already on the workshop: 409, and the need stays open for another answer.
    build(app, lambda: lf.enrolment(db.session.get(Workshop, lit.workshop.id),
                                    db.session.get(Client, on)))
    assert_error(visitor.post("/enrolments", json={"workshop_id": lit.workshop.id,
                                                   "need_id": on_need}), 409)
    with app.app_context():
        assert db.session.get(Need, on_need).status == NeedStatus.OPEN
    assert_error(api_as(world.tutor).post("/enrolments", json={
        "workshop_id": lit.workshop.id, "need_id": on_need}), 403)


def test_enrolment_lists_show_each_role_its_own_learners(app, world, lit, api_as):
    other_learner = learner(app, world, lit)
    untaught = build(app, lambda: lf.enrolment(db.session.get(Workshop, lit.untaught.id),
                                               db.session.get(Client, other_learner)))
    tutor = api_as(world.tutor).get("/enrolments").get_json()["items"]
    assert [e["id"] for e in tutor] == [lit.enrolment.id]
    coordinator = api_as(world.coordinator).get("/enrolments").get_json()["items"]
    assert {e["id"] for e in coordinator} == {lit.enrolment.id, untaught}
    listed = {e.client_id for e in events(app, "client.list", world.coordinator)}
    assert listed == {lit.learner.id, other_learner}
    only = api_as(world.coordinator).get(f"/enrolments?client_id={other_learner}&status=enrolled")
    assert [e["id"] for e in only.get_json()["items"]] == [untaught]
    assert api_as(world.coordinator).get("/enrolments?status=waiting").get_json()["items"] == []
    assert_error(api_as(world.coordinator).get("/enrolments?status=lost"), 422, field="status")
    assert_error(api_as(world.visitor).get("/enrolments"), 403)
    assert [e["id"] for e in api_as(world.other_coordinator).get("/enrolments")
            .get_json()["items"]] == [lit.other_enrolment.id]


def test_reading_an_enrolment_is_audited_and_scoped(app, world, lit, api_as):
    got = api_as(world.tutor).get(f"/enrolments/{lit.enrolment.id}")
    assert got.status_code == 200
    assert got.get_json()["client"]["full_name"] == "Learner Person"
    assert [e.client_id for e in events(app, "client.read", world.tutor)] == [lit.learner.id]
    # The tutor now sees their learner's record, and no one else's.
    assert api_as(world.tutor).get(f"/clients/{lit.learner.id}").status_code == 200
    assert_error(api_as(world.tutor).get(f"/clients/{world.client_on_round.id}"), 403)
    other = build(app, lambda: lf.enrolment(db.session.get(Workshop, lit.untaught.id),
                                            db.session.get(Client, world.client_off_round.id)))
    assert_error(api_as(world.tutor).get(f"/enrolments/{other}"), 403)
    denied = events(app, "workshop.denied", world.tutor)
    assert [(e.client_id, e.detail["workshop_id"]) for e in denied] == [
        (world.client_off_round.id, lit.untaught.id)]
    assert_error(api_as(world.other_coordinator).get(f"/enrolments/{lit.enrolment.id}"), 404)
    assert_error(api_as(world.tutor).get("/enrolments/99999999999"), 404)


# --- Confidence and skills -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"before": 0}, {"before": 6}, {"after": -1}, {"before": "3"}, {"before": 3.5},
    {"before": True}, {}, {"before": None}, {"during": 3},
])
def test_confidence_outside_one_to_five_is_refused(app, world, lit, api_as, body):
    response = api_as(world.tutor).request("PUT", f"/enrolments/{lit.enrolment.id}/confidence",
                                           json=body)
    assert_error(response, 422)
    with app.app_context():
        enrolment = db.session.get(WorkshopEnrolment, lit.enrolment.id)
        assert enrolment.confidence_before is None and enrolment.confidence_after is None


def test_tutor_records_confidence_and_skills(app, world, lit, api_as):
    api = api_as(world.tutor)
    path = f"/enrolments/{lit.enrolment.id}"
    first = api.request("PUT", path + "/confidence", json={"before": 2})
    assert first.status_code == 200, first.get_json()
    second = api.request("PUT", path + "/confidence", json={"after": 4}).get_json()
    assert (second["confidence_before"], second["confidence_after"]) == (2, 4)
    email, scam = (s.id for s in lit.skills)
    marked = api.request("PUT", f"{path}/skills/{scam}",
                         json={"shown": True, "session_id": lit.session.id})
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["skills_shown"] == [scam]
    api.request("PUT", f"{path}/skills/{email}", json={"shown": True})
    api.request("PUT", f"{path}/skills/{email}", json={"shown": True})  # twice: one mark
    undone = api.request("PUT", f"{path}/skills/{scam}", json={"shown": False}).get_json()
    assert undone["skills_shown"] == [email]


def test_skill_marks_are_checked(app, world, lit, api_as):
    api = api_as(world.tutor)
    path = f"/enrolments/{lit.enrolment.id}/skills"
    foreign = build(app, lambda: lf.skill(db.session.get(Programme, lit.other_programme.id)))
    assert_error(api.request("PUT", f"{path}/{foreign}", json={"shown": True}), 422,
                 field="skill_id")
    assert_error(api.request("PUT", f"{path}/{lit.skills[0].id}", json={"shown": "yes"}), 422,
                 field="shown")
    assert_error(api.request("PUT", f"{path}/{lit.skills[0].id}", json={"shown": 1}), 422,
                 field="shown")
    assert_error(api.request("PUT", f"{path}/{lit.skills[0].id}",
                             json={"shown": True, "session_id": lit.other_session.id}),
                 422, field="session_id")
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, lit.enrolment.id) is not None
    assert api.get(f"/enrolments/{lit.enrolment.id}").get_json()["skills_shown"] == []
    other = build(app, lambda: lf.enrolment(db.session.get(Workshop, lit.untaught.id),
                                            db.session.get(Client, world.client_off_round.id)))
    assert_error(api.request("PUT", f"/enrolments/{other}/confidence", json={"before": 3}), 403)
    assert_error(api.request("PUT", f"/enrolments/{other}/skills/{lit.skills[0].id}",
                             json={"shown": True}), 403)
    assert_error(api.post(f"/enrolments/{other}/withdraw", json={}), 403)
    assert len(events(app, "workshop.denied", world.tutor)) == 3


# --- The register ----------------------------------------------------------------------------

def test_tutor_takes_the_register(app, world, lit, api_as):
    api = api_as(world.tutor)
    marked = api.post("/attendance", json={"session_id": lit.session.id,
                                           "enrolment_id": lit.enrolment.id, "status": "late"})
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["status"] == "late" and marked.get_json()["via"] == "api"
    api.post("/attendance", json={"session_id": lit.session.id,
                                  "enrolment_id": lit.enrolment.id, "status": "present"})
    register = api.get(f"/attendance?session_id={lit.session.id}").get_json()["items"]
    assert [(a["client_id"], a["status"]) for a in register] == [(lit.learner.id, "present")]
    assert [e.client_id for e in events(app, "client.list", world.tutor)] == [lit.learner.id]
    assert [a["session_id"] for a in api.get("/attendance").get_json()["items"]] == [
        lit.session.id]
    assert api_as(world.other_coordinator).get("/attendance").get_json()["items"] == []
    assert_error(api.get("/attendance?session_id=x"), 422, field="session_id")


def test_register_refusals(app, world, lit, api_as):
    api = api_as(world.tutor)
    with app.app_context():
        workshop = db.session.get(Workshop, lit.workshop.id)
        waiting = lf.enrolment(workshop, factories.client(workshop.programme), "waiting").id
        other_session = lf.session(db.session.get(Workshop, lit.untaught.id)).id
        db.session.commit()
    before = counts(app)

    def mark(session_id, enrolment_id, status="present"):
        return api.post("/attendance", json={"session_id": session_id,
                                             "enrolment_id": enrolment_id, "status": status})

    assert_error(mark(lit.session.id, waiting), 422, field="enrolment_id")
    assert_error(mark(lit.session.id, lit.other_enrolment.id), 422, field="enrolment_id")
    assert_error(mark(lit.session.id, 2**31 - 1), 422, field="enrolment_id")
    assert_error(mark(lit.other_session.id, lit.other_enrolment.id), 422, field="session_id")
    assert_error(mark(lit.session.id, lit.enrolment.id, "asleep"), 422, field="status")
    assert_error(mark(other_session, lit.enrolment.id), 403)
    assert_error(api.get(f"/attendance?session_id={other_session}"), 403)
    assert counts(app) == before
    api.post(f"/sessions/{lit.session.id}/cancel")
    assert_error(mark(lit.session.id, lit.enrolment.id), 409)


# --- Skills ----------------------------------------------------------------------------------

def test_skills_checklist_starts_with_the_defaults(app, world, api_as):
    with app.app_context():
        fresh = lf.literacy_programme(db.session.merge(world.operator)).id
        db.session.commit()
    api = api_as(world.tutor)
    names = [s["name"] for s in api.get(f"/skills?programme_id={fresh}").get_json()["items"]]
    assert len(names) == 7 and names[0] == "Use email"
    assert len(api.get(f"/skills?programme_id={fresh}").get_json()["items"]) == 7
    added = api_as(world.coordinator).post("/skills", json={"programme_id": fresh,
                                                            "name": "Use online banking"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["position"] == 8
    assert_error(api_as(world.coordinator).post("/skills", json={
        "programme_id": fresh, "name": "USE EMAIL"}), 409)
    assert_error(api.post("/skills", json={"programme_id": fresh, "name": "Mine"}), 403)
    assert_error(api_as(world.other_coordinator).post("/skills", json={
        "programme_id": fresh, "name": "Theirs"}), 422, field="programme_id")
    assert_error(api_as(world.other_coordinator).get(f"/skills?programme_id={fresh}"), 422,
                 field="programme_id")
    assert_error(api.get(f"/skills?programme_id={world.programme.id}"), 422,
                 field="programme_id")
    assert_error(api_as(world.coordinator).post("/skills", json={
        "programme_id": fresh, "name": ""}), 422, field="name")


def test_a_programme_has_its_checklist_from_the_start_and_reading_it_writes_nothing(
        app, world, api_as):
    coordinator = api_as(world.coordinator)
    made = coordinator.post("/programmes", json={
        "name": "Get online", "kind": "digital_literacy", "operator_id": world.operator.id})
    assert made.status_code == 201, made.get_json()
    # A Call & Check programme has no checklist until it becomes a digital-literacy one.
    changed = coordinator.post("/programmes", json={
        "name": "Checks", "kind": "call_and_check", "operator_id": world.operator.id})
    assert changed.status_code == 201, changed.get_json()
    changed_id = changed.get_json()["id"]
    assert coordinator.get(f"/skills?programme_id={changed_id}").status_code == 422
    assert coordinator.patch(f"/programmes/{changed_id}",
                             json={"kind": "digital_literacy"}).status_code == 200
    for programme_id in (made.get_json()["id"], changed_id):
        with counted(app, "INSERT") as sent:
            first = coordinator.get(f"/skills?programme_id={programme_id}").get_json()["items"]
            again = coordinator.get(f"/skills?programme_id={programme_id}").get_json()["items"]
        assert [s["name"] for s in first] == services.DEFAULT_SKILLS
        assert [s["id"] for s in again] == [s["id"] for s in first]
        assert not [statement for statement in sent if "INTO skills" in statement]
    # Made again it stays as it is: no second set of defaults.
    assert coordinator.patch(f"/programmes/{changed_id}",
                             json={"name": "Checks online"}).status_code == 200
    assert len(coordinator.get(f"/skills?programme_id={changed_id}").get_json()["items"]) == 7


def test_skill_list_is_scoped_to_the_operator(app, world, lit, api_as):
    with app.app_context():
        assert db.session.get(Programme, lit.programme.id).kind == ProgrammeKind.DIGITAL_LITERACY
    mine = {s["id"] for s in api_as(world.coordinator).get("/skills?limit=200")
            .get_json()["items"]}
    with app.app_context():
        checklist = {s.id for s in services.skills_of(db.session.get(Programme,
                                                                     lit.programme.id))}
    assert mine == checklist and {s.id for s in lit.skills} <= mine
    assert_error(api_as(world.provider).get("/skills"), 403)
