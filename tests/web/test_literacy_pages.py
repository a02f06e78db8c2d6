"""The digital-literacy pages over HTTP: the tutor's sessions and register, a learner's skills,
confidence and printable summary, the coordinator's workshop pages, the invitation from a
digital_help need, and the public sign-up form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db, set_clock, utcnow
from outreach.enums import Role
from outreach.literacy.models import (
    Attendance,
    SkillShown,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.needs.models import Need
from outreach.people.models import Client
from tests import factories
from tests.conftest import csrf_token
from tests.literacy import factories as lf


@pytest.fixture(autouse=True)
def _real_clock_afterwards():
    yield
    set_clock(None)


@pytest.fixture
def lit(app, world):
    """A digital-literacy programme of the world's operator, taught by the world's tutor."""
    with app.app_context():
        made = lf.literacy(world)
        db.session.commit()
        return made


def text_of(response, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def post(client, url: str, data: dict | None = None):
    """A form POST with the CSRF token a logged-in page carries."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/clients/")})


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def another_tutor(app, world):
    with app.app_context():
        made = factories.user(Role.TUTOR, db.session.merge(world.operator))
        db.session.commit()
        return made


def relogin(client, login, user):
    """Log the same browser in as someone else."""
    with client.session_transaction() as session:
        session.clear()
    login(user)


def denials(app, action: str = "workshop.denied") -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- The tutor's sessions and register -------------------------------------------------------


def test_tutor_starts_at_their_sessions_and_sees_only_their_own(app, world, lit, client, login):
    login(world.tutor)
    assert client.get("/").headers["Location"].endswith("/tutor/")
    page = text_of(client.get("/tutor/"))
    assert "Getting online" in page and lit.session.short_code in page
    assert "Other island workshop" not in page
    assert 'href="/tutor/">My sessions' in page


def test_past_session_with_an_unmarked_register_is_flagged(app, world, lit, client, login):
    with app.app_context():
        past = lf.session(db.session.merge(lit.workshop), utcnow() - timedelta(days=3))
        db.session.commit()
    login(world.tutor)
    page = text_of(client.get("/tutor/"))
    assert "Registers to finish" in page and "1 learner not marked" in page
    post(client, f"/sessions/{past.id}/register",
         {"enrolment_id": lit.enrolment.id, "status": "present"})
    assert "Registers to finish" not in text_of(client.get("/tutor/"))


def test_register_shows_learners_and_the_code_big(app, world, lit, client, login):
    login(world.tutor)
    page = text_of(client.get(f"/sessions/{lit.session.id}/register"))
    assert f'<p class="code-big">{lit.session.short_code}</p>' in page
    assert "Learner Person" in page and "Not marked yet" in page
    assert "literacy.css" in page


def test_one_tap_marks_a_learner_and_a_second_changes_it(app, world, lit, client, login):
    login(world.tutor)
    url = f"/sessions/{lit.session.id}/register"
    response = post(client, url, {"enrolment_id": lit.enrolment.id, "status": "present"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#learner-{lit.enrolment.id}")
    assert 'aria-pressed="true">Present' in text_of(client.get(url))
    post(client, url, {"enrolment_id": lit.enrolment.id, "status": "late"})
    with app.app_context():
        marks = db.session.scalars(select(Attendance)).all()
        assert [(m.status, m.via, m.recorded_by_id) for m in marks] == [
            ("late", "register", world.tutor.id)]


@pytest.mark.parametrize("form", [
    {"enrolment_id": "", "status": "present"},
    {"enrolment_id": "abc", "status": "present"},
    {"enrolment_id": "1", "status": "asleep"},
    {"enrolment_id": "99999999999", "status": "present"},
    {"status": "present"},
])
def test_register_refuses_bad_taps(app, world, lit, client, login, form):
    login(world.tutor)
    response = post(client, f"/sessions/{lit.session.id}/register", form)
    assert "Please check the form" in text_of(response, 422)
    assert count(app, Attendance) == 0


def test_register_refuses_a_learner_not_on_the_workshop(app, world, lit, client, login):
    login(world.tutor)
    response = post(client, f"/sessions/{lit.session.id}/register",
                    {"enrolment_id": lit.other_enrolment.id, "status": "present"})
    assert "Only learners enrolled on this workshop" in text_of(response, 422)
    with app.app_context():
        waiting = lf.enrolment(db.session.merge(lit.workshop),
                               factories.client(db.session.merge(lit.programme)), "waiting")
        db.session.commit()
    response = post(client, f"/sessions/{lit.session.id}/register",
                    {"enrolment_id": waiting.id, "status": "present"})
    assert response.status_code == 422
    assert count(app, Attendance) == 0


def test_a_cancelled_session_takes_no_marks(app, world, lit, client, login):
    with app.app_context():
        db.session.get(WorkshopSession, lit.session.id).cancelled_at = utcnow()
        db.session.commit()
    login(world.tutor)
    response = post(client, f"/sessions/{lit.session.id}/register",
                    {"enrolment_id": lit.enrolment.id, "status": "present"})
    assert "This session was cancelled." in text_of(response, 409)
    assert count(app, Attendance) == 0


def test_another_tutors_session_is_refused_and_audited(app, world, lit, client, login):
    stranger = another_tutor(app, world)
    login(stranger)
    url = f"/sessions/{lit.session.id}/register"
    assert client.get(url).status_code == 403
    assert post(client, url, {"enrolment_id": lit.enrolment.id,
                              "status": "present"}).status_code == 403
    assert client.get(f"/enrolments/{lit.enrolment.id}").status_code == 403
    assert post(client, f"/enrolments/{lit.enrolment.id}/confidence",
                {"before": "3"}).status_code == 403
    assert count(app, Attendance) == 0
    events = denials(app)
    assert len(events) == 4 and {e.actor_id for e in events} == {stranger.id}
    assert "Learner Person" not in text_of(client.get("/tutor/"))


@pytest.mark.parametrize(("role", "status"), [
    ("visitor", 403), ("provider", 403), ("other_coordinator", 403), ("coordinator", 200),
    ("admin", 200)])
def test_register_by_role(app, world, lit, client, login, role, status):
    login(getattr(world, role))
    assert client.get(f"/sessions/{lit.session.id}/register").status_code == status


def test_register_needs_a_login_and_a_csrf_token(app, world, lit, client, login):
    url = f"/sessions/{lit.session.id}/register"
    assert client.get(url).headers["Location"].startswith("/login")
    login(world.tutor)
    response = client.post(url, data={"enrolment_id": lit.enrolment.id, "status": "present"})
    assert response.status_code == 400
    assert count(app, Attendance) == 0


# --- A learner: skills, confidence, summary -----------------------------------------------------


def test_tutor_marks_a_skill_and_takes_it_back(app, world, lit, client, login):
    login(world.tutor)
    url = f"/enrolments/{lit.enrolment.id}"
    skill = lit.skills[1]
    response = post(client, url + "/skills", {"skill_id": skill.id, "shown": "yes"})
    assert response.headers["Location"].endswith(f"{url}#skill-{skill.id}")
    assert "✓ shown" in text_of(client.get(url))
    assert count(app, SkillShown) == 1
    post(client, url + "/skills", {"skill_id": skill.id, "shown": "no"})
    assert count(app, SkillShown) == 0


def test_a_skill_of_another_programme_is_refused(app, world, lit, client, login):
    with app.app_context():
        foreign = lf.skill(db.session.merge(lit.other_programme), "Foreign skill")
        db.session.commit()
    login(world.tutor)
    response = post(client, f"/enrolments/{lit.enrolment.id}/skills",
                    {"skill_id": foreign.id, "shown": "yes"})
    assert "Not on this programme" in text_of(response, 422)
    assert count(app, SkillShown) == 0


def test_confidence_before_and_after(app, world, lit, client, login):
    login(world.tutor)
    url = f"/enrolments/{lit.enrolment.id}/confidence"
    assert post(client, url, {"before": "2"}).status_code == 302
    assert post(client, url, {"after": "4"}).status_code == 302
    with app.app_context():
        enrolment = db.session.get(WorkshopEnrolment, lit.enrolment.id)
        assert (enrolment.confidence_before, enrolment.confidence_after) == (2, 4)


@pytest.mark.parametrize("form", [
    {"before": "0"}, {"before": "6"}, {"after": "-1"}, {"before": "abc"}, {"after": "3.5"},
    {"before": "9" * 40}, {"before": "<script>"}, {}])
def test_confidence_outside_one_to_five_is_refused(app, world, lit, client, login, form):
    login(world.tutor)
    response = post(client, f"/enrolments/{lit.enrolment.id}/confidence",
                    {"after": "", **form} if "after" not in form else form)
    assert "Choose a number from 1 to 5." in text_of(response, 422)
    with app.app_context():
        enrolment = db.session.get(WorkshopEnrolment, lit.enrolment.id)
        assert enrolment.confidence_before is None and enrolment.confidence_after is None


def test_learner_page_shows_attendance_and_is_audited(app, world, lit, client, login):
    with app.app_context():
        lf.attendance(db.session.merge(lit.session), db.session.merge(lit.enrolment), "late")
        db.session.commit()
    login(world.tutor)
    page = text_of(client.get(f"/enrolments/{lit.enrolment.id}"))
    assert "Late" in page and "Use email" in page and "Spot a scam" in page
    reads = denials(app, "client.read")
    assert [(e.actor_id, e.client_id) for e in reads] == [(world.tutor.id, lit.learner.id)]


def test_printable_summary(app, world, lit, client, login):
    with app.app_context():
        past = lf.session(db.session.merge(lit.workshop), utcnow() - timedelta(days=2))
        enrolment = db.session.merge(lit.enrolment)
        lf.attendance(past, enrolment)
        lf.skill_shown(enrolment, db.session.merge(lit.skills[0]))
        enrolment.confidence_before, enrolment.confidence_after = 2, 4
        db.session.commit()
    login(world.tutor)
    page = text_of(client.get(f"/enrolments/{lit.enrolment.id}/summary"))
    assert "What you learned" in page and "Learner Person" in page
    assert "You came to 1 of 1 session" in page
    assert "<li>Use email</li>" in page and "Next, you could learn: Spot a scam." in page
    assert "At the start: 2 out of 5. At the end: 4 out of 5." in page
    assert "literacy.css" in page
    response = client.get("/static/literacy.css")
    assert "@media print" in response.get_data(as_text=True)
    response.close()


# --- The coordinator's workshop pages -----------------------------------------------------------


def test_workshop_list_by_programme(app, world, lit, client, login):
    login(world.coordinator)
    page = text_of(client.get("/workshops/"))
    assert lit.programme.name in page and "Getting online" in page
    assert "Health records online" in page and "Other island workshop" not in page
    assert 'href="/workshops/">Workshops' in page
    relogin(client, login, world.tutor)
    assert client.get("/workshops/").status_code == 403


def test_create_a_workshop_with_skills(app, world, lit, client, login):
    login(world.coordinator)
    assert "Use email" in text_of(client.get("/workshops/new"))
    response = post(client, "/workshops/new", {
        "programme_id": lit.programme.id, "title": "Video calls with family",
        "description": "Bring your phone", "tutor_id": world.tutor.id,
        "partner_id": world.food_bank.id, "skill_ids": [lit.skills[0].id]})
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(Workshop).where(
            Workshop.title == "Video calls with family"))
        assert (made.tutor_id, made.partner_id, [s.id for s in made.skills]) == (
            world.tutor.id, world.food_bank.id, [lit.skills[0].id])
    assert response.headers["Location"].endswith(f"/workshops/{made.id}")


@pytest.mark.parametrize("form", [
    {"title": ""}, {"title": "x" * 201}, {"title": "Bad\x00title"},
    {"title": "Fine", "tutor_id": "abc"}, {"title": "Fine", "skill_ids": ["999999"]},
    {"title": "Fine", "programme_id": "other"}, {"title": "Fine", "tutor_id": "visitor"}])
def test_bad_workshop_forms_store_nothing(app, world, lit, client, login, form):
    ids = {"other": lit.other_programme.id, "visitor": world.visitor.id}
    data = {"programme_id": lit.programme.id, **form}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    before = count(app, Workshop)
    login(world.coordinator)
    assert "Please check the form" in text_of(post(client, "/workshops/new", data), 422)
    assert count(app, Workshop) == before


def test_edit_a_workshop(app, world, lit, client, login):
    login(world.coordinator)
    url = f"/workshops/{lit.workshop.id}/edit"
    assert 'value="Getting online"' in text_of(client.get(url))
    assert post(client, url, {"title": "Getting online, part 1"}).status_code == 302
    assert "Getting online, part 1" in text_of(client.get(f"/workshops/{lit.workshop.id}"))
    assert "Please check the form" in text_of(post(client, url, {"title": "  "}), 422)
    relogin(client, login, world.other_coordinator)
    assert post(client, url, {"title": "Taken over"}).status_code == 403
    with app.app_context():
        assert db.session.get(Workshop, lit.workshop.id).title == "Getting online, part 1"


def test_add_a_session_in_the_programmes_time(app, world, lit, client, login):
    login(world.tutor)  # tutors plan their own sessions
    response = post(client, f"/workshops/{lit.workshop.id}/sessions/new", {
        "day": "2031-07-01", "starts": "10:00", "ends": "12:00", "venue": "St Helier Library",
        "accessibility_notes": "Step-free; hearing loop", "capacity": "8"})
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(WorkshopSession).where(
            WorkshopSession.venue == "St Helier Library"))
        # Jersey is on British Summer Time in July: 10:00 there is 09:00 UTC.
        assert made.starts_at == datetime(2031, 7, 1, 9, 0, tzinfo=UTC)
        assert (made.capacity, made.online, len(made.short_code)) == (8, False, 4)
    page = text_of(client.get(f"/sessions/{made.id}/edit"))
    assert 'value="10:00"' in page and 'value="2031-07-01"' in page


@pytest.mark.parametrize(("form", "message"), [
    ({"ends": "09:00"}, "must end after it starts"),
    ({"capacity": "0"}, "A number of places from 1 to 500."),
    ({"capacity": "lots"}, "Give a number of places."),
    ({"day": "2031-02-30"}, "Give a real date."),
    ({"starts": "25:00"}, "Give a time such as 10:30."),
    ({"venue": ""}, "Say where the session is held"),
    ({"day": ""}, "Give the day of the session."),
])
def test_bad_session_forms_store_nothing(app, world, lit, client, login, form, message):
    data = {"day": "2031-07-01", "starts": "10:00", "ends": "12:00", "venue": "Library",
            "capacity": "8", **form}
    before = count(app, WorkshopSession)
    login(world.coordinator)
    page = text_of(post(client, f"/workshops/{lit.workshop.id}/sessions/new", data), 422)
    assert message in page
    assert count(app, WorkshopSession) == before


def test_move_and_cancel_a_session(app, world, lit, client, login):
    login(world.coordinator)
    url = f"/sessions/{lit.session.id}/edit"
    assert post(client, url, {"day": "2031-01-15", "starts": "14:00", "ends": "15:30",
                              "venue": "Parish hall", "online": "on",
                              "capacity": "12"}).status_code == 302
    with app.app_context():
        moved = db.session.get(WorkshopSession, lit.session.id)
        assert moved.starts_at == datetime(2031, 1, 15, 14, 0, tzinfo=UTC)  # GMT in January
        assert (moved.online, moved.capacity) == (True, 12)
    assert post(client, f"/sessions/{lit.session.id}/cancel").status_code == 302
    assert "Cancelled" in text_of(client.get(f"/workshops/{lit.workshop.id}"))
    stranger = another_tutor(app, world)
    relogin(client, login, stranger)
    assert post(client, f"/sessions/{lit.other_session.id}/cancel").status_code == 403
    with app.app_context():
        assert db.session.get(WorkshopSession, lit.other_session.id).cancelled_at is None


def test_enrol_by_search_then_refuse_a_double_enrolment(app, world, lit, client, login):
    login(world.coordinator)
    url = f"/workshops/{lit.workshop.id}"
    name = world.client_off_round.full_name
    page = text_of(client.get(url, query_string={"q": name}))
    assert f"Enrol<span class=\"visually-hidden\"> {name}" in page
    assert post(client, url + "/enrolments",
                {"client_id": world.client_off_round.id}).status_code == 302
    assert f"{name} is enrolled." in text_of(client.get(url))
    response = post(client, url + "/enrolments", {"client_id": world.client_off_round.id})
    assert "is already enrolled for Getting online" in text_of(response, 409)
    assert count(app, WorkshopEnrolment,
                 WorkshopEnrolment.client_id == world.client_off_round.id) == 1


def test_enrol_refuses_another_operators_client(app, world, lit, client, login):
    login(world.coordinator)
    response = post(client, f"/workshops/{lit.workshop.id}/enrolments",
                    {"client_id": world.foreign_client.id})
    assert response.status_code == 403
    assert count(app, WorkshopEnrolment,
                 WorkshopEnrolment.client_id == world.foreign_client.id) == 0


def test_withdraw_offers_the_place_to_the_first_waiting(app, world, lit, client, login):
    with app.app_context():
        session = db.session.get(WorkshopSession, lit.session.id)
        session.capacity = 1
        waiting = lf.enrolment(db.session.merge(lit.workshop),
                               db.session.merge(world.client_off_round), "waiting")
        db.session.commit()
    login(world.coordinator)
    page = text_of(client.get(f"/workshops/{lit.workshop.id}"))
    assert "0 of 1 free" in page and world.client_off_round.full_name in page
    response = post(client, f"/enrolments/{lit.enrolment.id}/withdraw", {"reason": "Moved away"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, lit.enrolment.id).status == "withdrawn"
        assert db.session.get(WorkshopEnrolment, waiting.id).status == "offered"
    # Pressing the button again changes nothing.
    assert post(client, f"/enrolments/{lit.enrolment.id}/withdraw").status_code == 302
    relogin(client, login, world.tutor)
    assert post(client, f"/enrolments/{waiting.id}/withdraw").status_code == 403


# --- From a digital_help need to an invitation --------------------------------------------------


def need_for(app, who, category: str = "digital_help"):
    with app.app_context():
        made = factories.need(db.session.get(Client, who.id), category,
                              description="Wants to video-call her grandson")
        db.session.commit()
        return made


def test_invite_from_a_need_in_one_step(app, world, lit, client, login):
    need = need_for(app, world.client_on_round)
    login(world.coordinator)
    page = text_of(client.get(f"/clients/{world.client_on_round.id}"))
    assert "Invite to a workshop" in page and "Wants to video-call her grandson" in page
    assert "Health records online" not in page  # no session to come: not offered
    response = post(client, f"/needs/{need.id}/invite", {"workshop_id": lit.workshop.id})
    assert response.headers["Location"].endswith(f"/clients/{world.client_on_round.id}#workshops")
    with app.app_context():
        enrolment = db.session.scalar(select(WorkshopEnrolment).where(
            WorkshopEnrolment.client_id == world.client_on_round.id))
        assert (enrolment.source, enrolment.need_id, enrolment.status) == (
            "referral", need.id, "enrolled")
        closed = db.session.get(Need, need.id)
        assert (closed.status, closed.resolution) == ("resolved", "Invited to Getting online")
    page = text_of(client.get(f"/clients/{world.client_on_round.id}"))
    assert "has a place on Getting online. The need is closed." in page
    assert "Invite to a workshop" not in page


@pytest.mark.parametrize("case", ["not_digital", "no_sessions", "foreign", "bad_id", "closed"])
def test_invite_refusals_store_nothing(app, world, lit, client, login, case):
    need = need_for(app, world.client_on_round,
                    "food_or_shopping" if case == "not_digital" else "digital_help")
    if case == "closed":
        with app.app_context():
            db.session.get(Need, need.id).status = "resolved"
            db.session.commit()
    workshop = {"no_sessions": lit.untaught.id, "foreign": lit.other_workshop.id,
                "bad_id": "abc"}.get(case, lit.workshop.id)
    login(world.coordinator)
    response = post(client, f"/needs/{need.id}/invite", {"workshop_id": workshop})
    assert response.status_code == 302
    assert count(app, WorkshopEnrolment, WorkshopEnrolment.client_id ==
                 world.client_on_round.id) == 0
    with app.app_context():
        assert db.session.get(Need, need.id).status == ("resolved" if case == "closed"
                                                        else "open")
    assert 'class="flash error"' in text_of(client.get(f"/clients/{world.client_on_round.id}"))


def test_invite_is_for_those_who_manage_the_client(app, world, lit, client, login):
    need = need_for(app, world.client_on_round)
    for who in (world.visitor, world.other_coordinator, world.tutor):
        relogin(client, login, who)
        response = post(client, f"/needs/{need.id}/invite", {"workshop_id": lit.workshop.id})
        assert response.status_code == 403
    assert count(app, WorkshopEnrolment, WorkshopEnrolment.need_id == need.id) == 0


# --- The public sign-up form ----------------------------------------------------------------


def signup(client, lang: str = "en", **form):
    data = {"full_name": "Ana Pereira", "phone": "07700 900123", "preferred_language": "pt",
            "consent": "yes", **form}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/learn/?lang={lang}",
                       data={**data, "csrf_token": csrf_token(client, "/learn/")})


def test_signup_page_lists_upcoming_workshops_and_nobody(app, world, lit, client):
    page = text_of(client.get("/learn/"))
    assert "Getting online" in page and "Other island workshop" in page
    assert "Health records online" not in page  # nothing planned
    assert "Learner Person" not in page and "Log out" not in page
    assert "10 places left" in page or "9 places left" in page
    polish = text_of(client.get("/learn/?lang=pl"))
    assert '<html lang="pl">' in polish and "Zapisz mnie" in polish


def test_signup_makes_a_client_records_consent_and_enrols(app, world, lit, client):
    response = signup(client, workshop_id=lit.workshop.id)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "You have a place on Getting online" in page
    with app.app_context():
        person = db.session.scalar(select(Client).where(Client.full_name == "Ana Pereira"))
        assert (person.phone, person.preferred_language, person.programme_id) == (
            "+447700900123", "pt", lit.programme.id)
        assert [c.purpose for c in db.session.scalars(select(Consent).where(
            Consent.client_id == person.id))] == ["take_part"]
        enrolment = db.session.scalar(select(WorkshopEnrolment).where(
            WorkshopEnrolment.client_id == person.id))
        assert (enrolment.source, enrolment.status) == ("web", "enrolled")


def test_signup_by_a_known_number_joins_the_existing_client(app, world, lit, client):
    with app.app_context():
        known = factories.client(db.session.merge(lit.programme), phone="+447700900123",
                                 full_name="Ana Pereira")
        db.session.commit()
    before = count(app, Client)
    assert signup(client, workshop_id=lit.workshop.id).status_code == 302
    assert count(app, Client) == before
    assert count(app, WorkshopEnrolment, WorkshopEnrolment.client_id == known.id) == 1
    # The same again: nothing new, and a plain thank-you that says nothing about the record.
    response = signup(client, workshop_id=lit.workshop.id)
    assert "Thank you. We will text you about Getting online." in text_of(
        client.get(response.headers["Location"]))
    assert count(app, WorkshopEnrolment, WorkshopEnrolment.client_id == known.id) == 1
    assert count(app, Consent, Consent.client_id == known.id) == 1


def test_signup_to_a_full_workshop_goes_on_the_waiting_list(app, world, lit, client):
    with app.app_context():
        db.session.get(WorkshopSession, lit.session.id).capacity = 1
        db.session.commit()
    response = signup(client, lang="fr", workshop_id=lit.workshop.id)
    page = text_of(client.get(response.headers["Location"]))
    assert "est complet" in page and '<html lang="fr">' in page
    with app.app_context():
        assert db.session.scalar(select(WorkshopEnrolment.status).where(
            WorkshopEnrolment.source == "web")) == "waiting"


@pytest.mark.parametrize(("form", "message"), [
    ({"consent": None}, "Tick the box to agree to take part."),
    ({"full_name": "   "}, "Write your name."),
    ({"full_name": "x" * 500}, "Write your name."),
    ({"phone": ""}, "Write a mobile number"),
    ({"phone": "not a phone"}, "Write a mobile number"),
    ({"phone": "'; DROP TABLE clients; --"}, "Write a mobile number"),
    ({"preferred_language": "de"}, "Choose a language."),
    ({"workshop_id": "abc"}, "Choose a workshop."),
    ({"workshop_id": "untaught"}, "Choose a workshop."),
    ({"workshop_id": ""}, "Choose a workshop."),
])
def test_signup_bad_input_is_shown_again_and_nothing_stored(app, world, lit, client, form,
                                                           message):
    data = {"workshop_id": lit.workshop.id, **form}
    if data["workshop_id"] == "untaught":
        data["workshop_id"] = lit.untaught.id
    before = (count(app, Client), count(app, Consent), count(app, WorkshopEnrolment))
    page = text_of(signup(client, **data), 422)
    assert message in page and "Please check the form" in page
    if "full_name" not in form:
        assert 'value="Ana Pereira"' in page  # what they typed is kept
    assert (count(app, Client), count(app, Consent), count(app, WorkshopEnrolment)) == before


def test_signup_errors_in_the_readers_language(app, world, lit, client):
    page = text_of(signup(client, lang="pl", workshop_id=lit.workshop.id, consent=None), 422)
    assert "Zaznacz pole, aby zgodzić się na udział." in page


def test_signup_without_csrf_is_refused_in_plain_words(app, world, lit, client):
    response = client.post("/learn/", data={"full_name": "Ana", "phone": "07700900123",
                                            "preferred_language": "en", "consent": "yes",
                                            "workshop_id": lit.workshop.id})
    assert "This page has expired" in text_of(response, 400)
    assert count(app, Client, Client.full_name == "Ana") == 0


def test_signup_is_rate_limited_per_address(app, world, lit, client):
    codes = [signup(client, full_name=f"Person {i}", phone=f"07700 900{130 + i}",
                    workshop_id=lit.workshop.id).status_code for i in range(11)]
    assert codes == [302] * 10 + [429]
    assert "Too many tries" in text_of(signup(client, workshop_id=lit.workshop.id), 429)


def test_thanks_page_with_nonsense_goes_back_to_the_form(client):
    for query in ("", "?result=enrolled", "?result=hacked&workshop=1",
                  "?result=enrolled&workshop=99999999999999", "?workshop=%00"):
        response = client.get("/learn/thanks" + query)
        assert response.status_code == 302 and "/learn/" in response.headers["Location"]


def test_signup_words_are_complete_in_every_language():
    from outreach.literacy.signup_words import WORDS

    keys = {lang: set(words) for lang, words in WORDS.items()}
    assert len(keys) == 4 and all(k == keys["en"] for k in keys.values())
    assert all(re.findall(r"{(\w+)}", WORDS[lang][key]) == re.findall(r"{(\w+)}",
                                                                         WORDS["en"][key])
               for lang in WORDS for key in WORDS[lang])
