"""Workshops by text, through the signed SMS webhook: LEARN to sign up, a session's code on
arrival, YES to a place freed on the waiting list, and the digit answering the follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import MessageKind, NeedCategory
from outreach.literacy import services
from outreach.literacy.models import Attendance, WorkshopEnrolment, WorkshopSession
from outreach.messages import dispatch, numbers
from outreach.messages.models import Message
from outreach.messages.outbox import queue_text
from outreach.messages.texts import render
from outreach.needs.models import Need
from outreach.people.models import Client
from tests import factories
from tests.literacy import factories as lit
from tests.messages import reply_of, row_counts, text_in

# A Monday morning in Jersey (GMT in March), outside the quiet hours.
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WEDNESDAY_2PM = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning():
    set_clock(MORNING)
    yield
    set_clock(None)


def at(moment: datetime) -> None:
    set_clock(moment)


@dataclass
class Plan:
    """What the tests text about: ids only (each request has its own session)."""

    programme_id: int
    workshop_id: int  # "Getting online", Wednesday 14:00, room for two
    session_id: int
    later_workshop_id: int  # "Health records online", the week after
    later_session_id: int
    mary_id: int  # a Call & Check client of the same operator
    mary_phone: str


@pytest.fixture
def plan(app, world) -> Plan:
    with app.app_context():
        prog = lit.literacy_programme(db.session.merge(world.operator))
        first = lit.workshop(prog, db.session.merge(world.tutor), title="Getting online")
        first_session = lit.session(first, WEDNESDAY_2PM, capacity=2)
        later = lit.workshop(prog, None, title="Health records online")
        later_session = lit.session(later, WEDNESDAY_2PM + timedelta(days=7), capacity=1,
                                    venue="Parish Hall")
        mary = db.session.get(Client, world.client_on_round.id)
        mary.full_name = "Mary Le Brun"
        factories.consent(mary)  # she agreed to take part: workshop texts may go to her
        db.session.commit()
        return Plan(prog.id, first.id, first_session.id, later.id, later_session.id, mary.id,
                    mary.phone)


def enrolments(app, client_id: int) -> list[WorkshopEnrolment]:
    with app.app_context():
        return list(db.session.scalars(select(WorkshopEnrolment).where(
            WorkshopEnrolment.client_id == client_id).order_by(WorkshopEnrolment.id)))


def marks(app, session_id: int) -> list[Attendance]:
    with app.app_context():
        return list(db.session.scalars(select(Attendance).where(
            Attendance.session_id == session_id).order_by(Attendance.id)))


def inbound(app, phone: str) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(
            Message.phone == phone, Message.direction == "inbound").order_by(Message.id)))


def needs_of(app, client_id: int) -> list[Need]:
    with app.app_context():
        return list(db.session.scalars(select(Need).where(Need.client_id == client_id)))


def set_language(app, client_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(Client, client_id).preferred_language = language
        db.session.commit()


def fill(app, workshop_id: int, count: int) -> list[int]:
    """Enrol `count` other learners of the world's programme on the workshop."""
    with app.app_context():
        workshop = db.session.get(lit.Workshop, workshop_id)
        made = [lit.enrolment(workshop, lit.learner(workshop.programme)).id
                for _ in range(count)]
        db.session.commit()
        return made


def send_check_in(app, plan: Plan) -> int:
    """Text Mary today's check-in, as the daily job does; answers its id."""
    with app.app_context():
        mary = db.session.get(Client, plan.mary_id)
        check_in = queue_text(MessageKind.CHECK_IN, "check_in", to=mary.phone, language="en",
                              programme=mary.programme, client=mary, first_name="Mary")
        db.session.commit()
        dispatch.dispatch(check_in.id)
        return check_in.id


def counts(app) -> dict[str, int]:
    with app.app_context():
        return row_counts()


# --- LEARN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "word", "expected"), [
    ("en", "LEARN", "Thank you Mary, you are booked on Getting online. Your first session: "
                    "Wednesday 4 March at 14:00, Town Library, room 2."),
    ("pt", "aprender", "Obrigado Mary, tem lugar em Getting online. Primeira sessão: "
                       "quarta-feira, 4 de março, às 14:00, Town Library, room 2."),
    ("pl", "Nauka!", "Dziękujemy Mary, masz miejsce: Getting online. Pierwsze zajęcia: środa "
                     "4 marca o 14:00, Town Library, room 2."),
    ("fr", " Apprendre ", "Merci Mary, votre place est réservée pour Getting online. Première "
                          "séance le mercredi 4 mars à 14h, Town Library, room 2."),
])
def test_learn_books_the_next_workshop_in_the_senders_language(app, client, plan, language,
                                                               word, expected):
    set_language(app, plan.mary_id, language)
    assert reply_of(text_in(client, word, plan.mary_phone)) == expected
    [enrolment] = enrolments(app, plan.mary_id)
    assert (enrolment.workshop_id, enrolment.status, enrolment.source, enrolment.enrolled_at) == (
        plan.workshop_id, "enrolled", "sms", MORNING)
    with app.app_context():
        mary = db.session.get(Client, plan.mary_id)
        assert plan.programme_id in {e.programme_id for e in mary.enrolments}
    assert inbound(app, plan.mary_phone)[0].meaning == "need"
    assert needs_of(app, plan.mary_id) == []


def test_learn_accents_are_folded(app, client, plan):
    set_language(app, plan.mary_id, "fr")
    reply_of(text_in(client, "APPRÉNDRE", plan.mary_phone))
    assert [e.workshop_id for e in enrolments(app, plan.mary_id)] == [plan.workshop_id]


def test_a_full_workshop_is_passed_over_for_the_next_with_places(app, client, plan):
    fill(app, plan.workshop_id, 2)
    reply = reply_of(text_in(client, "learn", plan.mary_phone))
    assert reply == ("Thank you Mary, you are booked on Health records online. Your first "
                     "session: Wednesday 11 March at 14:00, Parish Hall.")
    [enrolment] = enrolments(app, plan.mary_id)
    assert (enrolment.workshop_id, enrolment.status) == (plan.later_workshop_id, "enrolled")


def test_when_every_workshop_is_full_the_learner_waits_for_the_soonest(app, client, plan):
    fill(app, plan.workshop_id, 2)
    fill(app, plan.later_workshop_id, 1)
    reply = reply_of(text_in(client, "LEARN", plan.mary_phone))
    assert reply == ("Thank you Mary. Getting online is full, so you are on its waiting list. "
                     "We will text you when a place is free.")
    [enrolment] = enrolments(app, plan.mary_id)
    assert (enrolment.workshop_id, enrolment.status, enrolment.waiting_since) == (
        plan.workshop_id, "waiting", MORNING)


def test_workshops_already_over_or_cancelled_are_not_offered(app, client, plan):
    with app.app_context():
        db.session.get(WorkshopSession, plan.session_id).cancelled_at = MORNING
        db.session.commit()
    reply_of(text_in(client, "LEARN", plan.mary_phone))
    assert [e.workshop_id for e in enrolments(app, plan.mary_id)] == [plan.later_workshop_id]


@pytest.mark.parametrize(("status", "expected"), [
    ("enrolled", "You are already booked on Getting online. Next session: Wednesday 4 March "
                 "at 14:00, Town Library, room 2."),
    ("waiting", "You are already on the waiting list for Getting online. We will text you "
                "when a place is free."),
    ("offered", "A place on Getting online is waiting for you: reply YES to take it."),
])
def test_learn_again_is_answered_helpfully_and_changes_nothing(app, client, plan, status,
                                                               expected):
    with app.app_context():
        lit.enrolment(db.session.get(lit.Workshop, plan.workshop_id),
                      db.session.get(Client, plan.mary_id), status)
        db.session.commit()
    at(MORNING + timedelta(hours=2))  # past the repeat window: understood afresh
    before = counts(app)
    assert reply_of(text_in(client, "LEARN", plan.mary_phone)) == expected
    after = counts(app)
    assert after.pop("messages") == before.pop("messages") + 2  # the text and its reply
    after.pop("message_events"), before.pop("message_events")
    assert after == before
    assert [e.status for e in enrolments(app, plan.mary_id)] == [status]


def test_with_nothing_planned_the_coordinator_gets_one_digital_help_need(app, client, plan):
    with app.app_context():
        for sid in (plan.session_id, plan.later_session_id):
            db.session.get(WorkshopSession, sid).cancelled_at = MORNING
        db.session.commit()
    expected = "Thank you Mary. No workshop is planned just now; we will be in touch."
    assert reply_of(text_in(client, "learn", plan.mary_phone)) == expected
    at(MORNING + timedelta(days=1))
    assert reply_of(text_in(client, "LEARN", plan.mary_phone)) == expected
    [need] = needs_of(app, plan.mary_id)
    assert (need.category, need.severity, need.source, need.status) == (
        "digital_help", "routine", "sms", "open")
    assert [m.need_id for m in inbound(app, plan.mary_phone)] == [need.id, need.id]
    assert enrolments(app, plan.mary_id) == []


def test_only_the_clients_own_operators_workshops_count(app, client, plan, world):
    foreign = world.foreign_client  # the other operator runs no digital-literacy programme
    reply = reply_of(text_in(client, "LEARN", foreign.phone))
    assert reply.endswith("No workshop is planned just now; we will be in touch.")
    assert enrolments(app, foreign.id) == []
    assert [n.category for n in needs_of(app, foreign.id)] == ["digital_help"]


def test_learn_from_an_unknown_number_gets_the_neutral_reply(app, client, plan):
    before = counts(app)
    assert reply_of(text_in(client, "LEARN", "+447700900555")) == render(
        "reply_unknown_sender", "en")
    after = counts(app)
    assert after["workshop_enrolments"] == before["workshop_enrolments"]
    assert after["needs"] == before["needs"]


def test_a_contact_cannot_sign_the_client_up(app, client, plan):
    with app.app_context():
        daughter = factories.contact(db.session.get(Client, plan.mary_id))
        db.session.commit()
        phone = daughter.phone
    reply_of(text_in(client, "LEARN", phone))
    assert enrolments(app, plan.mary_id) == []


@pytest.mark.parametrize("body", ["I want to learn", "learn please", "LEARNING", "lear n"])
def test_learn_counts_only_as_the_whole_text(app, client, plan, body):
    reply_of(text_in(client, body, plan.mary_phone))
    assert enrolments(app, plan.mary_id) == []
    assert inbound(app, plan.mary_phone)[0].meaning == "need"


def test_an_opted_out_learner_is_enrolled_but_not_answered(app, client, plan):
    with app.app_context():
        numbers.opt_out(plan.mary_phone, "keyword STOP", MORNING)
        db.session.commit()
    assert reply_of(text_in(client, "LEARN", plan.mary_phone)) is None
    assert [e.status for e in enrolments(app, plan.mary_id)] == ["enrolled"]


# --- Session codes ----------------------------------------------------------------------------


def enrol_mary(app, plan: Plan, *, code: str = "K7MX", starts: datetime = WEDNESDAY_2PM) -> int:
    """Mary enrolled on the first workshop, whose session has `code`; answers the enrolment."""
    with app.app_context():
        session = db.session.get(WorkshopSession, plan.session_id)
        session.short_code, session.starts_at = code, starts
        session.ends_at = starts + timedelta(hours=2)
        made = lit.enrolment(session.workshop, db.session.get(Client, plan.mary_id))
        db.session.commit()
        return made.id


@pytest.mark.parametrize(("arrives", "status"), [
    (timedelta(minutes=-30), "present"),
    (timedelta(minutes=10), "present"),
    (timedelta(minutes=11), "late"),
    (timedelta(hours=1, minutes=59), "late"),
])
def test_the_code_signs_the_learner_in_on_time_or_late(app, client, plan, arrives, status):
    enrolment_id = enrol_mary(app, plan)
    at(WEDNESDAY_2PM + arrives)
    assert reply_of(text_in(client, "k7mx", plan.mary_phone)) == (
        "Welcome Mary, you are on the register for Getting online. Enjoy the session!")
    [mark] = marks(app, plan.session_id)
    assert (mark.enrolment_id, mark.status, mark.via, mark.recorded_by_id) == (
        enrolment_id, status, "sms", None)
    [received] = inbound(app, plan.mary_phone)
    assert (received.meaning, received.client_id) == ("check_in_answer", plan.mary_id)


def test_the_code_in_polish_with_spaces_and_a_full_stop(app, client, plan):
    enrol_mary(app, plan)
    set_language(app, plan.mary_id, "pl")
    at(WEDNESDAY_2PM)
    assert reply_of(text_in(client, " K7 MX. ", plan.mary_phone)) == (
        "Witaj Mary, jesteś na liście obecności: Getting online. Miłych zajęć!")
    assert [m.status for m in marks(app, plan.session_id)] == ["present"]


@pytest.mark.parametrize(("moment", "expected"), [
    (WEDNESDAY_2PM - timedelta(minutes=31),
     "Getting online starts on Wednesday 4 March at 14:00. Text the code again when you "
     "arrive."),
    (WEDNESDAY_2PM + timedelta(hours=2),
     "That session of Getting online has ended, so we could not sign you in. Please speak to "
     "your tutor."),
    (WEDNESDAY_2PM + timedelta(days=3),
     "That session of Getting online has ended, so we could not sign you in. Please speak to "
     "your tutor."),
])
def test_a_code_outside_its_session_stores_nothing(app, client, plan, moment, expected):
    enrol_mary(app, plan)
    at(moment)
    assert reply_of(text_in(client, "K7MX", plan.mary_phone)) == expected
    assert marks(app, plan.session_id) == []
    assert needs_of(app, plan.mary_id) == []


def test_a_code_for_a_cancelled_session_stores_nothing(app, client, plan):
    enrol_mary(app, plan)
    with app.app_context():
        db.session.get(WorkshopSession, plan.session_id).cancelled_at = MORNING
        db.session.commit()
    at(WEDNESDAY_2PM)
    assert reply_of(text_in(client, "K7MX", plan.mary_phone)) == (
        "Sorry, that session of Getting online was cancelled. We will be in touch.")
    assert marks(app, plan.session_id) == []


@pytest.mark.parametrize("status", [None, "waiting", "offered", "withdrawn"])
def test_a_code_from_someone_not_enrolled_stores_nothing(app, client, plan, status):
    enrol_mary(app, plan)
    with app.app_context():
        other = factories.client(db.session.get(Client, plan.mary_id).programme)
        if status is not None:
            lit.enrolment(db.session.get(lit.Workshop, plan.workshop_id), other, status)
        db.session.commit()
        phone, other_id = other.phone, other.id
    at(WEDNESDAY_2PM)
    assert reply_of(text_in(client, "K7MX", phone)) == (
        "You are not booked on Getting online, so we could not sign you in. Please speak to "
        "the tutor.")
    assert marks(app, plan.session_id) == []
    assert needs_of(app, other_id) == []


def test_a_code_from_an_unknown_number_gets_the_neutral_reply(app, client, plan):
    enrol_mary(app, plan)
    at(WEDNESDAY_2PM)
    assert reply_of(text_in(client, "K7MX", "+447700900555")) == render(
        "reply_unknown_sender", "en")
    assert marks(app, plan.session_id) == []


def test_a_mark_already_on_the_register_is_kept(app, client, plan):
    enrol_mary(app, plan)
    at(WEDNESDAY_2PM)
    reply_of(text_in(client, "K7MX", plan.mary_phone))
    at(WEDNESDAY_2PM + timedelta(minutes=45))  # again, later: not turned into "late"
    assert reply_of(text_in(client, "K7MX", plan.mary_phone)).startswith("Welcome Mary")
    [mark] = marks(app, plan.session_id)
    assert mark.status == "present"


def test_the_same_code_twice_within_minutes_is_a_repeat(app, client, plan):
    enrol_mary(app, plan)
    at(WEDNESDAY_2PM)
    first = reply_of(text_in(client, "K7MX", plan.mary_phone))
    at(WEDNESDAY_2PM + timedelta(minutes=1))
    assert reply_of(text_in(client, "K7MX", plan.mary_phone)) == first
    assert len(marks(app, plan.session_id)) == 1
    assert [m.meaning for m in inbound(app, plan.mary_phone)] == ["check_in_answer", "repeat"]


def test_a_code_that_is_also_a_need_word_is_a_code_only_for_its_learners(app, client, plan):
    enrol_mary(app, plan, code="CARE")
    with app.app_context():
        other = factories.client(db.session.get(Client, plan.mary_id).programme)
        db.session.commit()
        phone, other_id = other.phone, other.id
    at(WEDNESDAY_2PM)
    reply_of(text_in(client, "Care", phone))
    assert [n.category for n in needs_of(app, other_id)] == [NeedCategory.PERSONAL_CARE]
    assert reply_of(text_in(client, "CARE", plan.mary_phone)).startswith("Welcome Mary")
    assert [m.status for m in marks(app, plan.session_id)] == ["present"]
    assert needs_of(app, plan.mary_id) == []


def test_a_code_made_of_digits_is_not_a_check_in_answer(app, client, plan):
    enrol_mary(app, plan, code="3467")
    at(WEDNESDAY_2PM)
    check_in_id = send_check_in(app, plan)
    assert reply_of(text_in(client, "3467", plan.mary_phone)).startswith("Welcome Mary")
    with app.app_context():
        assert db.session.get(Message, check_in_id).answered_at is None
    assert [m.status for m in marks(app, plan.session_id)] == ["present"]


@pytest.mark.parametrize("body", ["K7M", "K7MXX", "ZZZZ", "K7MX please", "🙂🙂🙂🙂"])
def test_texts_that_are_not_a_known_code_are_read_as_before(app, client, plan, body):
    enrol_mary(app, plan)
    at(WEDNESDAY_2PM)
    reply_of(text_in(client, body, plan.mary_phone))
    assert marks(app, plan.session_id) == []
    assert inbound(app, plan.mary_phone)[0].meaning == "need"


# --- YES to a place offered ------------------------------------------------------------------


def offer_to_mary(app, plan: Plan) -> tuple[int, int]:
    """The first workshop full, Mary waiting; one learner withdraws. Answers (Mary's enrolment,
    the offer text)."""
    [first, _] = fill(app, plan.workshop_id, 2)
    with app.app_context():
        waiting = lit.enrolment(db.session.get(lit.Workshop, plan.workshop_id),
                                db.session.get(Client, plan.mary_id), "waiting")
        services.withdraw(None, db.session.get(WorkshopEnrolment, first), "moved away",
                          now=MORNING)
        db.session.commit()
        offer = db.session.scalar(select(Message).where(
            Message.client_id == plan.mary_id, Message.kind == MessageKind.WORKSHOP_REMINDER))
        return waiting.id, offer.id


def test_a_freed_place_is_offered_by_text_and_yes_takes_it(app, client, plan):
    enrolment_id, offer_id = offer_to_mary(app, plan)
    with app.app_context():
        offer = db.session.get(Message, offer_id)
        assert offer.body == ("Hello Mary, a place is free on Getting online starting "
                              "Wednesday 4 March at 14:00. Reply YES within 48 hours to take "
                              "it.")
        assert (offer.phone, offer.not_after) == (plan.mary_phone, MORNING + timedelta(hours=48))
        assert db.session.get(WorkshopEnrolment, enrolment_id).status == "offered"
    at(MORNING + timedelta(hours=5))
    assert reply_of(text_in(client, "Yes", plan.mary_phone)) == (
        "Thank you Mary, the place is yours: Getting online, first session Wednesday 4 March "
        "at 14:00, Town Library, room 2.")
    with app.app_context():
        taken = db.session.get(WorkshopEnrolment, enrolment_id)
        assert (taken.status, taken.enrolled_at) == ("enrolled", MORNING + timedelta(hours=5))
    [received] = inbound(app, plan.mary_phone)
    assert (received.meaning, received.in_reply_to_id) == ("acknowledgement", offer_id)


@pytest.mark.parametrize(("language", "word", "start"), [
    ("pt", "SIM", "Obrigado Mary, a vaga é sua"), ("pl", "tak", "Dziękujemy Mary, miejsce"),
    ("fr", "Oui !", "Merci Mary, la place est à vous"), ("fr", "YES", "Merci Mary, la place")])
def test_yes_in_the_learners_language_takes_the_place(app, client, plan, language, word, start):
    set_language(app, plan.mary_id, language)
    enrolment_id, _ = offer_to_mary(app, plan)
    assert reply_of(text_in(client, word, plan.mary_phone)).startswith(start)
    assert enrolments(app, plan.mary_id)[0].status == "enrolled"


def test_yes_with_no_offer_waiting_is_the_carriers_opt_in(app, client, plan):
    assert reply_of(text_in(client, "YES", plan.mary_phone)) == render("reply_opted_in", "en")
    assert inbound(app, plan.mary_phone)[0].meaning == "opt_in"


def test_yes_from_an_opted_out_number_only_opts_in(app, client, plan):
    enrolment_id, _ = offer_to_mary(app, plan)
    with app.app_context():
        numbers.opt_out(plan.mary_phone, "keyword STOP", MORNING)
        db.session.commit()
    at(MORNING + timedelta(hours=1))
    assert reply_of(text_in(client, "YES", plan.mary_phone)) == render("reply_opted_in", "en")
    assert enrolments(app, plan.mary_id)[0].status == "offered"


def test_yes_after_the_offer_ran_out_keeps_the_learner_waiting(app, client, plan):
    offer_to_mary(app, plan)
    at(MORNING + timedelta(hours=48, minutes=1))
    assert reply_of(text_in(client, "YES", plan.mary_phone)) == (
        "Sorry, the time to take the place on Getting online has run out. You are still on the "
        "waiting list.")
    assert enrolments(app, plan.mary_id)[0].status == "offered"  # the offers job moves it on


def test_sim_with_no_offer_is_read_by_the_team(app, client, plan):
    assert reply_of(text_in(client, "sim", plan.mary_phone)) == render("reply_read_by_team", "en")
    assert enrolments(app, plan.mary_id) == []


# --- The follow-up's digit -------------------------------------------------------------------


def followed_up(app, plan: Plan, *, sent: datetime = MORNING) -> int:
    with app.app_context():
        made = lit.enrolment(db.session.get(lit.Workshop, plan.workshop_id),
                             db.session.get(Client, plan.mary_id), follow_up_sent_at=sent)
        db.session.commit()
        return made.id


@pytest.mark.parametrize("digit", ["1", "2", "3"])
def test_a_digit_answers_the_follow_up(app, client, plan, digit):
    enrolment_id = followed_up(app, plan)
    at(MORNING + timedelta(days=2))
    assert reply_of(text_in(client, f" {digit}.", plan.mary_phone)) == (
        "Thank you for your answer. It helps us improve the workshops.")
    with app.app_context():
        answered = db.session.get(WorkshopEnrolment, enrolment_id)
        assert (answered.follow_up_answer, answered.follow_up_answered_at) == (
            int(digit), MORNING + timedelta(days=2))
    assert needs_of(app, plan.mary_id) == []


def test_a_pending_check_in_takes_the_digit_first(app, client, plan):
    enrolment_id = followed_up(app, plan)
    send_check_in(app, plan)
    assert reply_of(text_in(client, "1", plan.mary_phone)) == render("reply_check_in_ok", "en")
    at(MORNING + timedelta(hours=1))
    reply_of(text_in(client, "3", plan.mary_phone))
    with app.app_context():
        assert db.session.get(WorkshopEnrolment, enrolment_id).follow_up_answer == 3


def test_the_follow_up_is_answered_once_and_not_after_two_weeks(app, client, plan):
    followed_up(app, plan, sent=MORNING - timedelta(days=15))
    reply_of(text_in(client, "2", plan.mary_phone))
    assert enrolments(app, plan.mary_id)[0].follow_up_answer is None
    assert [n.category for n in needs_of(app, plan.mary_id)] == ["other"]  # a lone digit


@pytest.mark.parametrize("body", ["4", "0", "12", "four", "1 2"])
def test_anything_but_1_2_3_leaves_the_follow_up_unanswered(app, client, plan, body):
    followed_up(app, plan)
    reply_of(text_in(client, body, plan.mary_phone))
    assert enrolments(app, plan.mary_id)[0].follow_up_answer is None
