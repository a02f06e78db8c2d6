"""Workshop jobs on a controllable clock, run as `outreach tick` runs them: reminders the day
before and on the morning, offers that ran out, no-shows, and the four-week follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.consent import services as consent
from outreach.consent.services import consents_for
from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus
from outreach.jobs.tick import run_jobs
from outreach.literacy import services
from outreach.literacy.models import Attendance, WorkshopEnrolment, WorkshopSession
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.people.models import Client
from tests.conftest import ACCEPTED
from tests.literacy import factories as lit
from tests.messages import reply_of, text_in

WEDNESDAY_2PM = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)  # Jersey is on GMT until 29 March
NEXT_WEDNESDAY_2PM = WEDNESDAY_2PM + timedelta(days=7)
ENROLLED = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_and_rate_afterwards(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)  # about what is sent, not pace
    yield
    set_clock(None)


def tick(app, moment: str | datetime) -> dict[str, str]:
    """Run every periodic job as `outreach tick --now` would."""
    set_clock(at(moment) if isinstance(moment, str) else moment)
    with app.app_context():
        return {r.name: r.summary for r in run_jobs()}


@dataclass
class Course:
    programme_id: int
    workshop_id: int
    first_id: int  # Wednesday 4 March 14:00-16:00
    second_id: int  # Wednesday 11 March 14:00-16:00
    mary_id: int  # English, enrolled
    zofia_id: int  # Polish, enrolled
    wanda_id: int  # on the waiting list
    mary: int  # enrolment ids
    zofia: int
    wanda: int


@pytest.fixture
def course(app, world) -> Course:
    with app.app_context():
        prog = lit.literacy_programme(db.session.merge(world.operator))
        workshop = lit.workshop(prog, db.session.merge(world.tutor), title="Getting online")
        first = lit.session(workshop, WEDNESDAY_2PM, capacity=2)
        second = lit.session(workshop, NEXT_WEDNESDAY_2PM, capacity=2)
        mary = lit.learner(prog, full_name="Mary Le Brun")
        zofia = lit.learner(prog, full_name="Zofia Nowak", preferred_language="pl")
        wanda = lit.learner(prog, full_name="Wanda Jones")
        made = Course(prog.id, workshop.id, first.id, second.id, mary.id, zofia.id, wanda.id,
                      lit.enrolment(workshop, mary, now=ENROLLED).id,
                      lit.enrolment(workshop, zofia, now=ENROLLED).id,
                      lit.enrolment(workshop, wanda, "waiting", now=ENROLLED).id)
        db.session.commit()
        return made


def texts(app, client_id: int) -> list[Message]:
    """The workshop texts queued for a client, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(Message).where(
            Message.client_id == client_id, Message.kind == MessageKind.WORKSHOP_REMINDER)
            .order_by(Message.id)))


def marks(app, session_id: int) -> dict[int, Attendance]:
    with app.app_context():
        return {m.enrolment_id: m for m in db.session.scalars(select(Attendance).where(
            Attendance.session_id == session_id))}


def change_session(app, session_id: int, **values) -> None:
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        for name, value in values.items():
            setattr(session, name, value)
        db.session.commit()


def mark(app, session_id: int, enrolment_id: int, status: str = "present") -> None:
    """The tutor's register, through the service (as the register page records it)."""
    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        tutor = session.workshop.tutor
        services.record_attendance(tutor, session, db.session.get(WorkshopEnrolment,
                                                                  enrolment_id), status)
        db.session.commit()


# --- Reminders -------------------------------------------------------------------------------


def test_the_day_before_reminder_goes_from_the_check_in_time_once(app, course):
    assert tick(app, "2026-03-03T09:59:00+00:00")["workshop_reminders"] == (
        "0 workshop reminder(s) queued")
    assert tick(app, "2026-03-03T10:00:00+00:00")["workshop_reminders"] == (
        "2 workshop reminder(s) queued")
    [english] = texts(app, course.mary_id)
    assert english.body == ("Hello Mary, a reminder: Getting online is on Wednesday 4 March at "
                            "14:00, Town Library, room 2. See you there!")
    assert english.dedupe_key == (
        f"workshop_reminder:{course.first_id}:20260304T1400:day_before:{course.mary}")
    assert english.status == ACCEPTED and english.language == "en"
    [polish] = texts(app, course.zofia_id)
    assert polish.body == ("Dzień dobry Zofia, przypomnienie: Getting online, środa 4 marca "
                           "o 14:00, Town Library, room 2. Do zobaczenia!")
    assert texts(app, course.wanda_id) == []  # waiting for a place: nothing to remind
    for moment in ("10:05", "12:00", "20:59"):
        tick(app, f"2026-03-03T{moment}:00+00:00")
    assert len(texts(app, course.mary_id)) == 1


def test_the_morning_reminder_goes_at_half_past_eight(app, course):
    tick(app, "2026-03-04T08:29:00+00:00")
    assert texts(app, course.mary_id) == []  # the day before is over: no "day before" text
    tick(app, "2026-03-04T08:30:00+00:00")
    [text] = texts(app, course.mary_id)
    assert text.body == ("Hello Mary, a reminder: Getting online is today at 14:00, Town "
                         "Library, room 2. See you there!")
    assert text.not_after == WEDNESDAY_2PM - timedelta(minutes=15)
    tick(app, "2026-03-04T13:00:00+00:00")
    assert len(texts(app, course.mary_id)) == 1


def test_an_early_session_is_reminded_two_hours_before_after_the_quiet_hours(app, course):
    early = WEDNESDAY_2PM.replace(hour=9, minute=30)
    change_session(app, course.first_id, starts_at=early, ends_at=early + timedelta(hours=2))
    tick(app, "2026-03-04T07:29:00+00:00")
    assert texts(app, course.mary_id) == []
    tick(app, "2026-03-04T07:30:00+00:00")
    [text] = texts(app, course.mary_id)
    assert text.body.endswith("is today at 9:30, Town Library, room 2. See you there!")
    # 07:30 is in the programme's quiet hours (21:00 to 08:00): held until they end.
    assert (text.status, text.send_at) == (MessageStatus.QUEUED, at("2026-03-04T08:00:00+00:00"))
    tick(app, "2026-03-04T08:00:00+00:00")
    assert texts(app, course.mary_id)[0].status == ACCEPTED


def test_the_programmes_wall_clock_is_used_in_summer(app, course):
    # 14:00 on the island in May is 13:00 UTC.
    summer = datetime(2026, 5, 6, 13, 0, tzinfo=UTC)
    change_session(app, course.first_id, starts_at=summer, ends_at=summer + timedelta(hours=2))
    tick(app, "2026-05-05T08:59:00+00:00")  # 09:59 on the island
    assert texts(app, course.mary_id) == []
    tick(app, "2026-05-05T09:00:00+00:00")
    assert "Wednesday 6 May at 14:00" in texts(app, course.mary_id)[0].body


def test_a_moved_session_is_reminded_afresh_and_a_cancelled_one_not_at_all(app, course):
    tick(app, "2026-03-03T10:00:00+00:00")
    later = WEDNESDAY_2PM + timedelta(hours=2)
    change_session(app, course.first_id, starts_at=later, ends_at=later + timedelta(hours=2))
    tick(app, "2026-03-03T11:00:00+00:00")
    assert [t.body.split(" is on ")[1][:25] for t in texts(app, course.mary_id)] == [
        "Wednesday 4 March at 14:0", "Wednesday 4 March at 16:0"]
    change_session(app, course.first_id, cancelled_at=at("2026-03-03T12:00:00+00:00"))
    tick(app, "2026-03-04T08:30:00+00:00")
    assert len(texts(app, course.mary_id)) == 2


def test_opted_out_and_withdrawn_learners_get_no_reminder(app, course):
    with app.app_context():
        numbers.opt_out(db.session.get(Client, course.mary_id).phone, "keyword STOP",
                        at("2026-03-01T12:00:00+00:00"))
        services.withdraw(None, db.session.get(WorkshopEnrolment, course.zofia),
                          now=at("2026-03-01T12:00:00+00:00"))
        db.session.commit()
    tick(app, "2026-03-03T10:00:00+00:00")
    assert texts(app, course.mary_id) == []  # not even a cancelled row each time
    assert texts(app, course.zofia_id) == []
    # Zofia's place went to Wanda, offered by text; she has not said YES, so no reminder yet.
    assert [t.dedupe_key.split(":")[0] for t in texts(app, course.wanda_id)] == [
        "workshop_offer"]


def test_a_day_of_ticks_sends_each_learner_exactly_two_reminders(app, course):
    moment = at("2026-03-02T12:00:00+00:00")
    while moment < WEDNESDAY_2PM:
        tick(app, moment)
        moment += timedelta(minutes=30)
    for client_id in (course.mary_id, course.zofia_id):
        assert [t.dedupe_key.split(":")[3] for t in texts(app, client_id)] == [
            "day_before", "morning"]


def withdraw_consent(app, *client_ids: int) -> None:
    """Each client withdraws their consent to take part (the clock is not set yet: now)."""
    with app.app_context():
        for client_id in client_ids:
            [agreed] = consents_for(db.session.get(Client, client_id))
            consent.withdraw(None, agreed, "Asked us to stop")
        db.session.commit()


def test_learners_who_withdrew_their_consent_get_no_workshop_texts(app, course):
    withdraw_consent(app, course.mary_id, course.wanda_id)
    tick(app, "2026-03-03T10:00:00+00:00")  # the day before
    tick(app, "2026-03-04T12:00:00+00:00")  # the morning
    mark(app, course.first_id, course.zofia)
    tick(app, "2026-03-04T16:30:00+00:00")  # Mary did not come
    with app.app_context():  # Zofia's place goes to Wanda: offered, but not by text
        services.withdraw(None, db.session.get(WorkshopEnrolment, course.zofia),
                          now=at("2026-03-04T17:00:00+00:00"))
        db.session.commit()

    assert texts(app, course.mary_id) == [] and texts(app, course.wanda_id) == []
    assert [t.dedupe_key.split(":")[3] for t in texts(app, course.zofia_id)] == [
        "day_before", "morning"]  # she had agreed
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, course.wanda).status == "offered"
    # Mary's absence is still on the register: only the text is left out.
    assert marks(app, course.first_id)[course.mary].status == "no_show"


def test_a_learner_who_withdrew_is_not_asked_the_follow_up_and_one_who_agreed_is(app, course):
    mark(app, course.first_id, course.mary)
    mark(app, course.first_id, course.zofia)
    withdraw_consent(app, course.zofia_id)

    assert tick(app, LAST_ENDED + timedelta(weeks=4))["workshop_follow_ups"] == (
        "1 workshop follow-up(s) sent")
    assert [t.dedupe_key.split(":")[0] for t in texts(app, course.mary_id)] == [
        "workshop_follow_up"]
    assert texts(app, course.zofia_id) == []
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, course.zofia).follow_up_sent_at is None


# --- Offers -------------------------------------------------------------------------------------


def test_an_offer_not_answered_in_48_hours_moves_to_the_next_in_line(app, course):
    with app.app_context():
        workshop = db.session.get(lit.Workshop, course.workshop_id)
        services.withdraw(None, db.session.get(WorkshopEnrolment, course.zofia),
                          now=at("2026-03-01T09:00:00+00:00"))
        later = lit.enrolment(workshop, lit.learner(workshop.programme), "waiting",
                              now=at("2026-02-25T09:00:00+00:00"))
        db.session.commit()
        later_id, later_client = later.id, later.client_id
    assert texts(app, course.wanda_id)[0].body.startswith("Hello Wanda, a place is free")
    assert tick(app, "2026-03-03T08:59:00+00:00")["workshop_offers"] == (
        "0 unanswered workshop offer(s) passed on")
    assert tick(app, "2026-03-03T09:00:00+00:00")["workshop_offers"] == (
        "1 unanswered workshop offer(s) passed on")
    with app.app_context():
        wanda = db.session.get(WorkshopEnrolment, course.wanda)
        assert (wanda.status, wanda.waiting_since) == ("waiting", at("2026-03-03T09:00:00+00:00"))
        assert db.session.get(WorkshopEnrolment, later_id).status == "offered"
    assert len(texts(app, later_client)) == 1


# --- No-shows ------------------------------------------------------------------------------


def test_learners_not_on_the_register_are_no_shows_and_offered_the_next_session(app, course):
    mark(app, course.first_id, course.mary)
    assert tick(app, "2026-03-04T16:29:00+00:00")["workshop_no_shows"] == (
        "0 workshop no-show(s) recorded")
    assert tick(app, "2026-03-04T16:30:00+00:00")["workshop_no_shows"] == (
        "1 workshop no-show(s) recorded")
    found = marks(app, course.first_id)
    assert (found[course.mary].status, found[course.mary].via) == ("present", "register")
    no_show = found[course.zofia]
    assert (no_show.status, no_show.via, no_show.recorded_by_id) == ("no_show", "system", None)
    assert course.wanda not in found
    [text] = [t for t in texts(app, course.zofia_id) if "no_show" in t.dedupe_key]
    assert text.body == ("Zofia, szkoda, że nie było Cię: Getting online. Następne zajęcia: "
                         "środa 11 marca o 14:00, Town Library, room 2.")
    assert text.not_after == NEXT_WEDNESDAY_2PM
    assert [t for t in texts(app, course.mary_id) if "no_show" in t.dedupe_key] == []
    # The tutor corrects the register later: nobody is texted again.
    mark(app, course.first_id, course.zofia, "late")
    tick(app, "2026-03-04T18:00:00+00:00")
    assert marks(app, course.first_id)[course.zofia].status == "late"
    assert len([t for t in texts(app, course.zofia_id) if "no_show" in t.dedupe_key]) == 1


def test_after_the_last_session_a_no_show_hears_we_will_be_in_touch(app, course):
    mark(app, course.second_id, course.zofia)
    tick(app, "2026-03-11T17:00:00+00:00")
    [text] = [t for t in texts(app, course.mary_id) if "no_show" in t.dedupe_key]
    assert text.body == ("Hello Mary, we missed you at Getting online. We will be in touch about "
                         "another session.")


def test_a_register_nobody_took_marks_nobody(app, course):
    tick(app, "2026-03-04T17:00:00+00:00")
    assert marks(app, course.first_id) == {}
    assert [t for t in texts(app, course.mary_id) if "no_show" in t.dedupe_key] == []


def test_cancelled_sessions_and_learners_who_joined_afterwards_are_left_alone(app, course):
    with app.app_context():
        workshop = db.session.get(lit.Workshop, course.workshop_id)
        newcomer = lit.enrolment(workshop, lit.learner(workshop.programme),
                                 now=at("2026-03-05T09:00:00+00:00"))
        db.session.commit()
        newcomer_id = newcomer.id
    mark(app, course.first_id, course.mary)
    tick(app, "2026-03-05T10:00:00+00:00")
    assert set(marks(app, course.first_id)) == {course.mary, course.zofia}
    assert newcomer_id not in marks(app, course.first_id)
    change_session(app, course.second_id, cancelled_at=at("2026-03-10T10:00:00+00:00"))
    mark_count = len(marks(app, course.second_id))
    tick(app, "2026-03-11T17:00:00+00:00")
    assert len(marks(app, course.second_id)) == mark_count == 0


# --- The four-week follow-up -----------------------------------------------------------------

LAST_ENDED = NEXT_WEDNESDAY_2PM + timedelta(hours=2)


def test_four_weeks_after_the_last_session_those_who_came_are_asked_once(app, client, course):
    mark(app, course.first_id, course.mary)
    mark(app, course.second_id, course.zofia, "late")
    tick(app, "2026-03-11T18:00:00+00:00")  # no-shows for the second session
    four_weeks = LAST_ENDED + timedelta(weeks=4)
    assert tick(app, four_weeks - timedelta(minutes=1))["workshop_follow_ups"] == (
        "0 workshop follow-up(s) sent")
    assert tick(app, four_weeks)["workshop_follow_ups"] == "2 workshop follow-up(s) sent"
    [asked] = [t for t in texts(app, course.mary_id) if "follow_up" in t.dedupe_key]
    assert asked.body == ("Hello Mary, it's 4 weeks since Getting online. Have you used an "
                          "online service since? Reply 1 yes, on my own; 2 yes, with help; "
                          "3 not yet")
    [polish] = [t for t in texts(app, course.zofia_id) if "follow_up" in t.dedupe_key]
    assert polish.body.startswith("Zofia, czy po kursie Getting online korzystasz z usług")
    assert texts(app, course.wanda_id) == []  # never had a place
    tick(app, four_weeks + timedelta(days=1))
    assert len([t for t in texts(app, course.mary_id) if "follow_up" in t.dedupe_key]) == 1
    with app.app_context():
        mary = db.session.get(Client, course.mary_id)
        assert db.session.get(WorkshopEnrolment, course.mary).follow_up_sent_at == four_weeks
        phone = mary.phone
    set_clock(four_weeks + timedelta(days=2))
    assert reply_of(text_in(client, "2", phone)) == (
        "Thank you for your answer. It helps us improve the workshops.")
    with app.app_context():
        answered = db.session.get(WorkshopEnrolment, course.mary)
        assert (answered.follow_up_answer, answered.follow_up_answered_at) == (
            2, four_weeks + timedelta(days=2))
        question = db.session.get(Message, asked.id)
        assert (question.answer, question.answered_at) == ("2", four_weeks + timedelta(days=2))
        reply = db.session.scalar(select(Message).where(Message.in_reply_to_id == asked.id))
        assert (reply.direction, reply.meaning) == ("inbound", "check_in_answer")


def test_no_follow_up_for_no_shows_the_withdrawn_or_long_after(app, course):
    mark(app, course.first_id, course.zofia, "no_show")
    mark(app, course.first_id, course.mary)
    with app.app_context():
        services.withdraw(None, db.session.get(WorkshopEnrolment, course.mary),
                          now=at("2026-03-05T09:00:00+00:00"))
        db.session.commit()
    tick(app, LAST_ENDED + timedelta(weeks=4))
    assert [t for t in texts(app, course.mary_id) if "follow_up" in t.dedupe_key] == []
    assert [t for t in texts(app, course.zofia_id) if "follow_up" in t.dedupe_key] == []


def test_a_follow_up_long_overdue_is_not_sent(app, course):
    mark(app, course.first_id, course.mary)
    assert tick(app, LAST_ENDED + timedelta(weeks=6, minutes=1))["workshop_follow_ups"] == (
        "0 workshop follow-up(s) sent")
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, course.mary).follow_up_sent_at is None


def test_the_jobs_are_registered_with_the_tick(app, course):
    results = tick(app, "2026-03-02T12:00:00+00:00")
    assert {"workshop_offers", "workshop_reminders", "workshop_no_shows",
            "workshop_follow_ups"} <= set(results)
