"""Outcome measures answered by text, through the signed SMS webhook: the seven wellbeing
questions one reply at a time in each language, numbers out of range, SKIP, 48 hours' silence,
a check-in waiting at the same time, a contact's number, and the satisfaction question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import InboundMeaning, Language, MessageDirection, MessageKind, NeedCategory
from outreach.evaluation.models import MeasureKind, MeasureSource, OutcomeMeasure
from outreach.evaluation.sms import number_in
from outreach.jobs.tick import run_jobs
from outreach.messages.models import Message
from outreach.messages.texts import render
from outreach.messages.texts.replies import QUESTIONS, SATISFACTION
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from tests import factories
from tests.evaluation.factories import outcome_measure
from tests.messages import new_sid, reply_of, text_in

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ITEMS = list(QUESTIONS)  # the seven, in the order they are asked
Q1_EN = ("How often do you feel that you lack companionship? Reply 1 hardly ever, 2 some of the "
         "time, 3 often")


@pytest.fixture(autouse=True)
def _clock(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    set_clock(MONDAY_10AM)
    yield
    set_clock(None)


@dataclass
class Person:
    """Ids only: each request has its own session."""

    id: int
    phone: str
    programme_id: int


def asked(app, world, kind: str = "wellbeing", language: Language = EN, **kw) -> Person:
    """A client taking part, texted the first question of `kind` by the job at 10:00."""
    with app.app_context():
        programme = db.session.get(Programme, world.programme.id)
        client = factories.client(programme, full_name="Mary Le Brun",
                                  preferred_language=language, **kw)
        client.enrolments[0].enrolled_at = MONDAY_10AM - timedelta(days=40)
        factories.consent(client)
        if kind == "satisfaction":
            outcome_measure(client, asked_at=MONDAY_10AM - timedelta(days=3))
        db.session.commit()
        run_jobs(MONDAY_10AM)
        return Person(client.id, client.phone, client.programme_id)


def measure_of(app, person: Person) -> OutcomeMeasure:
    with app.app_context():
        return db.session.scalars(select(OutcomeMeasure).where(
            OutcomeMeasure.client_id == person.id).order_by(OutcomeMeasure.id.desc())).first()


def texts_of(app, person: Person, direction: str) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(
            Message.phone == person.phone, Message.direction == direction)
            .order_by(Message.id)))


def say(client, person: Person, body: str, **kw) -> str | None:
    return reply_of(text_in(client, body, person.phone, **kw))


def numbered(item: str, language: Language) -> str:
    return f"{ITEMS.index(item) + 1}/7 {QUESTIONS[item][language]}"


@pytest.mark.parametrize("language", list(Language))
def test_the_seven_questions_answered_one_text_at_a_time(app, client, world, language):
    mary = asked(app, world, language=language)
    [first] = [m for m in texts_of(app, mary, "outbound") if m.kind == MessageKind.SURVEY]
    assert first.body.endswith(numbered("ucla_companionship", language))
    answers = ["2", "1", "3", "7", "8/10", " 6 ", "3"]  # "3" again: an answer, not a repeat
    replies = [say(client, mary, answer) for answer in answers]
    assert replies == [numbered(item, language) for item in ITEMS[1:]] + [
        render("reply_survey_thanks", language)]
    measure = measure_of(app, mary)
    assert [getattr(measure, item) for item in ITEMS] == [2, 1, 3, 7, 8, 6, 3]
    assert measure.completed_at == MONDAY_10AM and measure.awaiting == ""
    assert measure.source == MeasureSource.SMS and measure.ucla_total == 6
    inbound = texts_of(app, mary, "inbound")
    assert {m.meaning for m in inbound} == {InboundMeaning.SURVEY_ANSWER}
    assert {m.client_id for m in inbound} == {mary.id}
    # Each answer replies to the text that asked, which is marked answered with it.
    by_id = {m.id: m for m in texts_of(app, mary, "outbound")}
    for answer, text in zip(answers, inbound, strict=True):
        question = by_id[text.in_reply_to_id]
        assert question.answer == str(number_in(answer.strip())) and question.answered_at
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "measure.record", AuditEvent.client_id == mary.id)).all()
        assert event.via == "sms" and len(event.detail["items"]) == 7


def test_the_english_conversation_word_for_word(app, client, world):
    mary = asked(app, world)
    [first] = [m.body for m in texts_of(app, mary, "outbound")]
    assert first == ("Hello Mary, 7 short questions on how you are. Reply with a number, or "
                     f"SKIP to stop. 1/7 {Q1_EN}")
    assert say(client, mary, "2") == (
        "2/7 How often do you feel left out? Reply 1 hardly ever, 2 some of the time, 3 often")
    for answer in ("1", "3"):
        say(client, mary, answer)
    assert say(client, mary, "5") == (
        "5/7 Overall, to what extent do you feel that the things you do in your life are "
        "worthwhile? Reply 0 (not at all) to 10 (completely)")
    for answer in ("5", "5"):
        say(client, mary, answer)
    assert say(client, mary, "4") == "Thank you, that is very helpful."


def test_a_number_out_of_range_gets_the_question_again_with_the_range(app, client, world):
    mary = asked(app, world)
    assert say(client, mary, "5") == f"Please reply with a number from 1 to 3. 1/7 {Q1_EN}"
    assert say(client, mary, "0") == f"Please reply with a number from 1 to 3. 1/7 {Q1_EN}"
    assert say(client, mary, "99") == f"Please reply with a number from 1 to 3. 1/7 {Q1_EN}"
    assert measure_of(app, mary).ucla_companionship is None
    assert say(client, mary, "3.") == numbered("ucla_left_out", EN)
    for answer in ("3", "3"):
        say(client, mary, answer)
    assert say(client, mary, "11") == (
        "Please reply with a number from 0 to 10. " + numbered("ons_life_satisfaction", EN))
    assert say(client, mary, "10/10") == numbered("ons_worthwhile", EN)
    measure = measure_of(app, mary)
    assert (measure.ucla_companionship, measure.ons_life_satisfaction) == (3, 10)
    assert measure.awaiting == "ons_worthwhile"


@pytest.mark.parametrize("language", [PT, PL])
def test_out_of_range_in_the_clients_language(app, client, world, language):
    mary = asked(app, world, language=language)
    expected = {PT: "Responda com um número de 1 a 3. ", PL: "Odpisz liczbą od 1 do 3. "}
    assert say(client, mary, "7") == expected[language] + numbered("ucla_companionship",
                                                                   language)


@pytest.mark.parametrize("body", ["I feel a bit lonely", "seven cats", "100", "2 or 3", "", "🙂",
                                  "'; DROP TABLE messages; --"])
def test_words_are_read_as_usual_and_the_question_still_waits(app, client, world, body):
    mary = asked(app, world)
    reply = say(client, mary, body)
    assert reply is not None and "1/7" not in reply
    [text] = texts_of(app, mary, "inbound")
    assert text.meaning == InboundMeaning.NEED
    assert measure_of(app, mary).awaiting == "ucla_companionship"
    assert say(client, mary, "2") == numbered("ucla_left_out", EN)
    if body == "I feel a bit lonely":
        with app.app_context():
            need = db.session.get(Need, text.need_id)
            assert need.category == NeedCategory.LONELINESS


@pytest.mark.parametrize(("language", "word"), [
    (EN, "SKIP"), (EN, "skip."), (PT, "Saltar"), (PT, "passar"), (PL, "POMIŃ"), (PL, "pomin"),
    (FR, "Passer"), (FR, "skip")])
def test_skip_declines_the_rest_and_keeps_what_was_answered(app, client, world, language, word):
    mary = asked(app, world, language=language)
    say(client, mary, "2")
    assert say(client, mary, word) == render("reply_survey_declined", language)
    measure = measure_of(app, mary)
    assert measure.declined and measure.awaiting == "" and measure.ucla_companionship == 2
    assert measure.completed_at is None
    # Nothing is waiting now: a number is a lone digit for a person to read.
    say(client, mary, "3")
    last = texts_of(app, mary, "inbound")[-1]
    assert last.meaning == InboundMeaning.NEED
    assert measure_of(app, mary).ucla_left_out is None


def test_stop_opts_out_and_answers_no_question(app, client, world):
    mary = asked(app, world)
    say(client, mary, "STOP")
    [text] = texts_of(app, mary, "inbound")
    assert text.meaning == InboundMeaning.OPT_OUT
    assert measure_of(app, mary).awaiting == "ucla_companionship"


def test_help_keeps_its_meaning_while_a_question_waits(app, client, world):
    mary = asked(app, world)
    assert say(client, mary, "HELP") == render("reply_help", EN)
    assert say(client, mary, "1") == numbered("ucla_left_out", EN)


def test_a_question_can_be_answered_for_48_hours_only(app, client, world):
    mary = asked(app, world)
    set_clock(MONDAY_10AM + timedelta(hours=47))
    assert say(client, mary, "1") == numbered("ucla_left_out", EN)
    set_clock(MONDAY_10AM + timedelta(hours=47 + 48, minutes=1))
    say(client, mary, "2")
    assert texts_of(app, mary, "inbound")[-1].meaning == InboundMeaning.NEED
    # The job stops the asking; the first answer is kept.
    with app.app_context():
        assert "1 unanswered stopped" in {r.name: r.summary for r in run_jobs()}[
            "outcome_measures"]
    measure = measure_of(app, mary)
    assert (measure.awaiting, measure.ucla_companionship, measure.ucla_left_out) == ("", 1, None)


def check_in(app, person: Person, sent_at: datetime) -> int:
    """A delivered check-in text to the person, sent at `sent_at`, awaiting its answer."""
    with app.app_context():
        made = factories.message(db.session.get(Client, person.id),
                                 kind=MessageKind.CHECK_IN, status="delivered", sent_at=sent_at,
                                 created_at=sent_at, body="Hello Mary, it's Call & Check.")
        db.session.commit()
        return made.id


def test_a_check_in_sent_after_the_question_takes_1_2_or_3(app, client, world):
    mary = asked(app, world)
    check_in_id = check_in(app, mary, MONDAY_10AM + timedelta(hours=1))
    set_clock(MONDAY_10AM + timedelta(hours=1, minutes=5))
    assert say(client, mary, "2") == render("reply_check_in_call", EN)
    last = texts_of(app, mary, "inbound")[-1]
    assert (last.meaning, last.in_reply_to_id) == (InboundMeaning.CHECK_IN_ANSWER, check_in_id)
    assert measure_of(app, mary).ucla_companionship is None
    # A number the check-in cannot take still answers the question; once the check-in is
    # answered, so does a 1, 2 or 3.
    assert say(client, mary, "7").startswith("Please reply with a number from 1 to 3.")
    assert say(client, mary, "3") == numbered("ucla_left_out", EN)


def test_a_question_asked_after_a_check_in_takes_1_2_or_3(app, client, world):
    mary = asked(app, world)
    check_in_id = check_in(app, mary, MONDAY_10AM - timedelta(minutes=30))
    assert say(client, mary, "2") == numbered("ucla_left_out", EN)
    assert texts_of(app, mary, "inbound")[-1].meaning == InboundMeaning.SURVEY_ANSWER
    with app.app_context():
        assert db.session.get(Message, check_in_id).answered_at is None


def test_a_contacts_number_never_answers(app, client, world):
    mary = asked(app, world)
    with app.app_context():
        contact = factories.contact(db.session.get(Client, mary.id))
        db.session.commit()
        phone = contact.phone
    reply_of(text_in(client, "2", phone))
    with app.app_context():
        text = db.session.scalar(select(Message).where(
            Message.phone == phone, Message.direction == MessageDirection.INBOUND))
        assert text.meaning == InboundMeaning.NEED
    assert measure_of(app, mary).awaiting == "ucla_companionship"


def test_the_same_message_sid_twice_changes_nothing(app, client, world):
    mary = asked(app, world)
    sid = new_sid()
    first = say(client, mary, "2", sid=sid)
    assert say(client, mary, "2", sid=sid) == first == numbered("ucla_left_out", EN)
    assert len(texts_of(app, mary, "inbound")) == 1
    measure = measure_of(app, mary)
    assert (measure.ucla_companionship, measure.ucla_left_out) == (2, None)


def test_a_machine_answering_out_of_range_forever_is_stopped(app, client, world):
    mary = asked(app, world)
    replies = [say(client, mary, "11") for _ in range(16)]
    assert all(r and r.startswith("Please reply") for r in replies[:15])
    assert replies[15] is None  # the loop guard holds our replies back
    assert texts_of(app, mary, "inbound")[-1].meaning == InboundMeaning.SURVEY_ANSWER


def test_satisfaction_answered_and_thanked(app, client, world):
    mary = asked(app, world, "satisfaction")
    [first] = [m for m in texts_of(app, mary, "outbound") if m.kind == MessageKind.SURVEY]
    assert first.body == "Hello Mary, one quick question. " + SATISFACTION["call_and_check"][EN]
    assert say(client, mary, "9") == (
        "Please reply with a number from 1 to 5. " + SATISFACTION["call_and_check"][EN])
    assert say(client, mary, "4/5") == render("reply_survey_thanks", EN)
    measure = measure_of(app, mary)
    assert (measure.kind, measure.satisfaction, measure.completed_at) == (
        MeasureKind.SATISFACTION, 4, MONDAY_10AM)
    # Asked once: a further number is not an answer.
    say(client, mary, "5")
    assert texts_of(app, mary, "inbound")[-1].meaning == InboundMeaning.NEED
    assert measure_of(app, mary).satisfaction == 4


@pytest.mark.parametrize(("text", "number"), [
    ("7", 7), ("07", 7), ("7/10", 7), ("7 / 10", 7), ("4/5", 4), ("0", 0), ("10", 10),
    ("100", None), ("7/9", None), ("-1", None), ("7 8", None), ("", None), ("seven", 7),
    ("7 👍", 7), ("sete", 7), ("dix!", 10), ("8 thanks", 8), ("8 cats", None), ("٣", None)])
def test_what_counts_as_a_number(text, number):
    assert number_in(text) == number


def test_every_question_exists_in_every_language():
    for versions in (*QUESTIONS.values(), *SATISFACTION.values()):
        assert set(versions) == set(Language)
    assert len(QUESTIONS) == 7
