"""Texts people send in, through the signed webhook: stored, understood, answered.

Every request here is signed with RequestValidator exactly as Twilio signs it; what the webhook
itself refuses (signatures, bad fields) is in tests/channels/test_webhooks.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import Language, MessageKind, NeedCategory
from outreach.messages import dispatch, inbound, jobs, numbers
from outreach.messages.models import Message, SmsNumber
from outreach.messages.outbox import queue_text
from outreach.messages.texts import render
from outreach.needs.models import Need
from outreach.people.models import Client
from tests import factories
from tests.messages import inbound_form, new_sid, post_signed, reply_of, row_counts, text_in

# A Monday morning in Jersey (GMT in March): outside the quiet hours.
MORNING = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning():
    set_clock(MORNING)
    yield
    set_clock(None)


def later(**delta) -> None:
    set_clock(MORNING + timedelta(**delta))


def messages(app, phone: str) -> list[Message]:
    """Every text to or from `phone`, oldest first."""
    with app.app_context():
        return list(db.session.scalars(
            select(Message).where(Message.phone == phone).order_by(Message.id)))


def inbound_rows(app, phone: str) -> list[Message]:
    return [m for m in messages(app, phone) if m.direction == "inbound"]


def needs_of(app, client_id: int) -> list[Need]:
    with app.app_context():
        return list(db.session.scalars(
            select(Need).where(Need.client_id == client_id).order_by(Need.id)))


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action))


def update_client(app, client_id: int, **values) -> None:
    with app.app_context():
        client = db.session.get(Client, client_id)
        for name, value in values.items():
            setattr(client, name, value)
        db.session.commit()


def check_in(app, client_id: int) -> int:
    """Send the client a check-in text the way the daily job does; answers its id."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        message = queue_text(MessageKind.CHECK_IN, "check_in", to=client.phone,
                             language=client.preferred_language, programme=client.programme,
                             client=client, first_name="Mary")
        message.reply_due_at = MORNING + timedelta(minutes=240)
        db.session.commit()
        dispatch.dispatch(message.id)
        return message.id


@pytest.fixture
def mary(world):
    """The client on the round, as the tests text from her phone."""
    return world.client_on_round


# --- Need words and anything else -----------------------------------------------------------


def test_a_need_word_raises_a_need_and_the_reply_names_it(app, client, mary):
    response = text_in(client, "I had a FALL in the garden", mary.phone)
    assert reply_of(response) == ("Thank you. We have noted: a fall. Someone will call you "
                                  "today.")
    [need] = needs_of(app, mary.id)
    assert (need.category, need.severity, need.source, need.status) == (
        "fall", "urgent", "sms", "open")
    assert need.description == "I had a FALL in the garden"
    received, reply = [m for m in messages(app, mary.phone) if m.kind in (None, "reply")]
    assert (received.direction, received.status, received.meaning) == (
        "inbound", "received", "need")
    assert (received.client_id, received.programme_id, received.need_id) == (
        mary.id, mary.programme_id, need.id)
    assert received.service_number == "+447700900001"
    assert received.fingerprint == "i had a fall in the garden"
    assert (reply.direction, reply.kind, reply.backend, reply.status) == (
        "outbound", "reply", "twiml", "sent")
    assert reply.in_reply_to_id == received.id and reply.sent_at == MORNING
    assert (reply.encoding, reply.segments, float(reply.cost_estimate)) == ("GSM-7", 1, 0.04)
    with app.app_context():
        assert [e.status for e in db.session.get(Message, received.id).events] == ["received"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "need.create"))
        assert (event.client_id, event.via) == (mary.id, "sms")


@pytest.mark.parametrize(("language", "body", "category"), [
    ("pt", "Caí no chão", NeedCategory.FALL),
    ("pl", "Nie mam jedzenia", NeedCategory.FOOD_OR_SHOPPING),
    ("fr", "Je me sens très seule", NeedCategory.LONELINESS),
    ("en", "Could someone help me with my computer", NeedCategory.DIGITAL_HELP),
])
def test_replies_are_in_the_senders_language(app, client, mary, language, body, category):
    from outreach.messages.keywords import SEVERITY
    from outreach.messages.texts.replies import WHAT

    update_client(app, mary.id, preferred_language=language)
    reply = reply_of(text_in(client, body, mary.phone))
    assert reply == render(f"reply_need_{SEVERITY[category].value}", language,
                           what=WHAT[category][Language(language)])
    [need] = needs_of(app, mary.id)
    assert need.category == category and need.description == body
    assert inbound_rows(app, mary.phone)[0].language == language


def test_routine_needs_are_promised_within_a_few_days(app, client, mary):
    reply = reply_of(text_in(client, "Could I have a lift on Friday?", mary.phone))
    assert reply == ("Thank you. We have noted: transport. Someone will be in touch within a "
                     "few days.")
    assert needs_of(app, mary.id)[0].severity == "routine"


def test_anything_else_is_a_need_for_a_person_to_read(app, client, mary):
    reply = reply_of(text_in(client, "Please ring my son about Sunday", mary.phone))
    assert reply == "Thank you, a member of the team will read your message."
    [need] = needs_of(app, mary.id)
    assert (need.category, need.severity, need.description) == (
        "other", "soon", "Please ring my son about Sunday")
    assert inbound_rows(app, mary.phone)[0].meaning == "need"


def test_an_empty_text_is_still_read(app, client, mary):
    assert reply_of(text_in(client, "", mary.phone)) == render("reply_read_by_team", "en")
    assert needs_of(app, mary.id)[0].description == "(The text was empty.)"


def test_the_sender_is_found_from_any_way_of_writing_the_number(app, client, mary):
    spaced = "+44 " + mary.phone[3:7] + " " + mary.phone[7:]
    reply_of(text_in(client, "heating broken", spaced))
    assert needs_of(app, mary.id)[0].category == "home_or_heating"
    assert inbound_rows(app, mary.phone)[0].client_id == mary.id


# --- Carrier words: STOP, START, HELP -------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop", "  Stop ", "STOPALL", "unsubscribe",
                                  "Cancel", "END", "quit.", "stop!"])
def test_opt_out_words_stop_all_texts(app, client, mary, word):
    reply = reply_of(text_in(client, word, mary.phone))
    assert reply == render("reply_opted_out", "en")
    with app.app_context():
        assert numbers.why_not_text(mary.phone) == (
            "The number has opted out of texts (replied STOP).")
        known = numbers.number_record(mary.phone)
        assert known.opt_out_source.startswith("keyword ")
    assert inbound_rows(app, mary.phone)[0].meaning == "opt_out"
    assert needs_of(app, mary.id) == []


@pytest.mark.parametrize("word", ["START", "start", " Yes ", "UNSTOP"])
def test_opt_in_words_start_texts_again(app, client, mary, word):
    reply_of(text_in(client, "STOP", mary.phone))
    later(minutes=30)
    assert reply_of(text_in(client, word, mary.phone)) == render("reply_opted_in", "en")
    with app.app_context():
        assert numbers.why_not_text(mary.phone) is None
    assert inbound_rows(app, mary.phone)[-1].meaning == "opt_in"


@pytest.mark.parametrize("word", ["HELP", "help", "Info", " INFO? "])
def test_help_words_get_the_help_text(app, client, mary, word):
    update_client(app, mary.id, preferred_language="fr")
    assert reply_of(text_in(client, word, mary.phone)) == render("reply_help", "fr")
    assert inbound_rows(app, mary.phone)[0].meaning == "help"
    assert needs_of(app, mary.id) == []


def test_an_opted_out_sender_is_heard_but_not_answered(app, client, mary):
    reply_of(text_in(client, "STOP", mary.phone))
    later(minutes=20)
    assert reply_of(text_in(client, "I have fallen", mary.phone)) is None
    [need] = needs_of(app, mary.id)  # safety first: still raised
    assert need.category == "fall"
    # Every STOP is confirmed, each time (carriers' rule): the person must know it worked.
    assert reply_of(text_in(client, "stop", mary.phone)) == render("reply_opted_out", "en")
    assert reply_of(text_in(client, "HELP", mary.phone)) is None
    replies = [m for m in messages(app, mary.phone) if m.kind == "reply"]
    assert len(replies) == 2
    assert reply_of(text_in(client, "START", mary.phone)) == render("reply_opted_in", "en")



def test_an_opted_out_contact_or_stranger_is_heard_but_not_answered(app, client, mary):
    # Who the number is (client, contact, nobody) and whether it opted out are read together.
    with app.app_context():
        phone = factories.contact(db.session.get(Client, mary.id)).phone
        db.session.commit()
    stranger = "+447700900999"
    for number in (phone, stranger):
        reply_of(text_in(client, "STOP", number))
    later(minutes=20)
    assert reply_of(text_in(client, "She has fallen", phone)) is None
    assert [n.category for n in needs_of(app, mary.id)] == ["fall"]  # still raised
    assert reply_of(text_in(client, "who is this", stranger)) is None
    assert inbound_rows(app, stranger)[-1].meaning == "unknown_sender"
    assert reply_of(text_in(client, "START", phone)) == render("reply_opted_in", "en")

# --- Answers to a check-in text -------------------------------------------------------------


@pytest.mark.parametrize(("digit", "reply", "severity", "description"), [
    ("1", "Thank you. We are glad you are OK.", None, None),
    (" 2 ", "Thank you. Someone from Call & Check will call you soon.", "soon",
     "Asked for a call in reply to a check-in text"),
    ("3.", "Thank you. Someone will call you today to help.", "urgent",
     "Needs help today (replied 3 to a check-in text)"),
])
def test_a_digit_answers_the_check_in(app, client, mary, digit, reply, severity, description):
    asked = check_in(app, mary.id)
    later(minutes=15)
    assert reply_of(text_in(client, digit, mary.phone)) == reply
    with app.app_context():
        sent = db.session.get(Message, asked)
        assert (sent.answer, sent.answered_at) == (digit.strip(" ."), MORNING
                                                    + timedelta(minutes=15))
    answer = inbound_rows(app, mary.phone)[0]
    assert (answer.meaning, answer.in_reply_to_id) == ("check_in_answer", asked)
    found = needs_of(app, mary.id)
    if severity is None:
        assert found == [] and answer.need_id is None
    else:
        [need] = found
        assert (need.category, need.severity, need.description) == ("other", severity,
                                                                    description)
        assert answer.need_id == need.id


def test_a_late_answer_closes_the_no_response_need(app, client, mary):
    asked = check_in(app, mary.id)
    with app.app_context():
        jobs.raise_no_responses(MORNING + timedelta(hours=4, minutes=1))
        db.session.commit()
    [silence] = needs_of(app, mary.id)
    assert (silence.category, silence.status) == ("no_response", "open")
    later(hours=5)
    assert reply_of(text_in(client, "1", mary.phone)) == render("reply_check_in_ok", "en")
    [silence] = needs_of(app, mary.id)
    assert (silence.status, silence.resolution) == ("resolved", "Replied 1 (OK) by text")
    assert silence.resolved_at == MORNING + timedelta(hours=5)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "need.resolve", AuditEvent.subject_id == str(silence.id)))
        assert (event.client_id, event.via) == (mary.id, "sms")
        assert db.session.get(Message, asked).answer == "1"


def test_a_digit_with_no_check_in_waiting_is_read_by_a_person(app, client, mary):
    assert reply_of(text_in(client, "2", mary.phone)) == render("reply_read_by_team", "en")
    [need] = needs_of(app, mary.id)
    assert (need.category, need.severity) == ("other", "soon")
    assert need.description == 'Texted "2", but no check-in text was waiting for an answer.'


def test_a_check_in_is_answered_once_and_only_for_a_day(app, client, mary):
    check_in(app, mary.id)
    later(minutes=5)
    reply_of(text_in(client, "1", mary.phone))
    later(minutes=30)  # past the repeat window: a new text, and the check-in is answered
    reply_of(text_in(client, "3", mary.phone))
    assert [n.category for n in needs_of(app, mary.id)] == ["other"]
    assert inbound_rows(app, mary.phone)[-1].meaning == "need"

    check_in(app, mary.id)
    later(hours=25)
    reply_of(text_in(client, "1", mary.phone))
    assert inbound_rows(app, mary.phone)[-1].meaning == "need"


def test_a_check_in_never_sent_is_not_answered(app, client, mary):
    reply_of(text_in(client, "STOP", mary.phone))
    asked = check_in(app, mary.id)  # cancelled: the number opted out
    with app.app_context():
        assert db.session.get(Message, asked).status == "cancelled"
    later(minutes=30)
    reply_of(text_in(client, "1", mary.phone))
    assert inbound_rows(app, mary.phone)[-1].meaning == "need"


# --- Who is texting -------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "FALL",
    "1",
    "Is Client Person OK? What is her address?",
    "STOP all texts to 07700 900123 please",
])
def test_an_unknown_number_gets_a_neutral_reply_and_nothing_else(app, client, world, body):
    stranger = "+447700900999"
    with app.app_context():
        assert db.session.scalar(select(Client).where(Client.phone == stranger)) is None
        before = row_counts()
    reply = reply_of(text_in(client, body, stranger))
    assert reply == ("Thank you for your message. It has been passed to the Call & Check "
                     "team.")
    for person in (world.client_on_round, world.client_off_round, world.foreign_client):
        assert person.full_name not in reply and person.address not in reply
    [kept] = inbound_rows(app, stranger)
    assert (kept.meaning, kept.client_id, kept.programme_id, kept.need_id) == (
        "unknown_sender", None, None, None)
    assert kept.body == body and kept.service_number == "+447700900001"
    with app.app_context():
        after = row_counts()
    assert after["needs"] == before["needs"]
    assert after["messages"] == before["messages"] + 2  # the text and the reply
    assert after["audit_events"] == before["audit_events"]


def test_a_designated_contact_texts_about_their_client(app, client, mary):
    with app.app_context():
        contact = factories.contact(db.session.get(Client, mary.id), name="Anne Example",
                                    preferred_language="pt")
        contact_id, phone = contact.id, contact.phone
        db.session.commit()
    reply = reply_of(text_in(client, "A minha mãe caiu", phone))
    assert reply == "Obrigado. Registámos: uma queda. Alguém vai ligar-lhe hoje."
    [need] = needs_of(app, mary.id)
    assert need.category == "fall"
    assert need.description == "Text from Anne Example (daughter): A minha mãe caiu"
    [received] = inbound_rows(app, phone)
    assert (received.client_id, received.contact_id, received.language) == (
        mary.id, contact_id, "pt")


def test_a_contact_of_two_clients_raises_the_need_for_both(app, client, world):
    with app.app_context():
        first = factories.contact(db.session.get(Client, world.client_on_round.id))
        factories.contact(db.session.get(Client, world.client_off_round.id), phone=first.phone)
        phone = first.phone
        db.session.commit()
    reply_of(text_in(client, "no heating since yesterday", phone))
    for person in (world.client_on_round, world.client_off_round):
        [need] = needs_of(app, person.id)
        assert need.category == "home_or_heating"


def test_a_contact_replying_a_digit_does_not_answer_the_clients_check_in(app, client, mary):
    with app.app_context():
        phone = factories.contact(db.session.get(Client, mary.id)).phone
        db.session.commit()
    asked = check_in(app, mary.id)
    reply_of(text_in(client, "1", phone))
    with app.app_context():
        assert db.session.get(Message, asked).answered_at is None
    assert needs_of(app, mary.id)[0].category == "other"


def test_a_shared_phone_raises_the_need_for_each_client(app, client, world):
    with app.app_context():
        first = db.session.get(Client, world.client_on_round.id)
        partner = factories.client(first.programme, phone=first.phone, full_name="Partner One")
        partner_id = partner.id
        db.session.commit()
    reply = reply_of(text_in(client, "We have no food", first.phone))
    assert reply == "Thank you. We have noted: food or shopping. Someone will call you soon."
    mine, theirs = needs_of(app, first.id), needs_of(app, partner_id)
    assert [n.category for n in mine + theirs] == ["food_or_shopping"] * 2
    [received] = inbound_rows(app, first.phone)
    assert received.need_id == mine[0].id
    assert len([m for m in messages(app, first.phone) if m.kind == "reply"]) == 1


# --- The same text again, and loops ---------------------------------------------------------


def test_the_same_message_sid_twice_changes_nothing(app, client, mary):
    form = inbound_form("I fell on the stairs", mary.phone)
    first = reply_of(post_signed(client, "/sms/inbound", form))
    with app.app_context():
        before = row_counts()
    later(seconds=30)
    assert reply_of(post_signed(client, "/sms/inbound", form)) == first
    with app.app_context():
        assert row_counts() == before


def test_a_duplicate_racing_the_first_is_caught_by_the_database(app, client, mary, monkeypatch):
    form = inbound_form("I fell on the stairs", mary.phone)
    first = reply_of(post_signed(client, "/sms/inbound", form))
    with app.app_context():
        before = row_counts()
    # The second request looks before the first has committed, finds nothing, and inserts.
    real, calls = inbound._stored, []

    def not_yet(sid, **kwargs):
        calls.append(sid)
        return None if len(calls) == 1 else real(sid, **kwargs)

    monkeypatch.setattr(inbound, "_stored", not_yet)
    assert reply_of(post_signed(client, "/sms/inbound", form)) == first
    assert len(calls) == 2  # looked again after the unique index refused the row
    with app.app_context():
        assert row_counts() == before


def test_a_burst_of_the_same_text_is_one_need(app, client, mary):
    replies = []
    for seconds, body in enumerate(["FALL", "fall", "Fall!", " FALL "]):
        later(seconds=20 * seconds)
        replies.append(reply_of(text_in(client, body, mary.phone)))
    [need] = needs_of(app, mary.id)
    first_reply = render("reply_need_urgent", "en", what="a fall")
    assert replies == [first_reply, first_reply, None, None]  # two replies a window at most
    rows = inbound_rows(app, mary.phone)
    assert [m.meaning for m in rows] == ["need", "repeat", "repeat", "repeat"]
    assert {m.need_id for m in rows} == {need.id}

    later(minutes=12)  # past SMS_REPEAT_WINDOW_MINUTES since the last one: a new report
    assert reply_of(text_in(client, "FALL", mary.phone)) == first_reply
    assert len(needs_of(app, mary.id)) == 2


def test_the_same_text_after_its_need_was_closed_is_a_new_need(app, client, mary):
    reply_of(text_in(client, "FALL", mary.phone))
    with app.app_context():
        need = db.session.scalar(select(Need).where(Need.client_id == mary.id))
        need.status = "resolved"
        db.session.commit()
    later(minutes=2)
    reply_of(text_in(client, "FALL", mary.phone))
    assert [n.status for n in needs_of(app, mary.id)] == ["resolved", "open"]


def test_a_flood_of_texts_is_a_loop_and_is_no_longer_answered(app, client, mary):
    limit = app.config["SMS_LOOP_LIMIT"]
    answers = []
    for n in range(limit + 2):
        later(seconds=10 * n)
        answers.append(reply_of(text_in(client, f"Out of office, reference {n}", mary.phone)))
    assert all(answers[:limit - 1])
    assert answers[limit - 1:] == [None] * 3
    rows = inbound_rows(app, mary.phone)
    # Still read, and kept with the latest need for a person: not a need per text of a flood.
    needs = needs_of(app, mary.id)
    assert len(needs) == limit - 1
    assert [(m.meaning, m.need_id) for m in rows[limit - 1:]] == [("need", needs[-1].id)] * 3
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "sms.loop_stopped")).all()
        assert (event.client_id, event.detail["reason"]) == (mary.id, "too many texts")


def test_an_autoresponder_echoing_our_reply_is_not_answered(app, client):
    robot = "+447700900998"
    ours = reply_of(text_in(client, "Hello", robot))
    later(seconds=5)
    assert reply_of(text_in(client, ours, robot)) is None
    assert inbound_rows(app, robot)[-1].meaning == "loop"
    assert audit_count(app, "sms.loop_stopped") == 1
    later(seconds=10)
    assert reply_of(text_in(client, ours, robot)) is None
    assert audit_count(app, "sms.loop_stopped") == 1  # once a window


def test_a_client_echoing_our_reply_raises_no_need(app, client, mary):
    ours = reply_of(text_in(client, "Please ring me", mary.phone))
    later(seconds=5)
    assert reply_of(text_in(client, ours, mary.phone)) is None
    assert len(needs_of(app, mary.id)) == 1


# --- Unusual text ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "encoding"), [
    ("Caí 😢 preciso de ajuda", "UCS-2"),
    ("Żółć gęślą jaźń", "UCS-2"),
    ("🙂🙂🙂", "UCS-2"),
    ("'; DROP TABLE messages; --", "GSM-7"),
    ("<Response><Message>hacked</Message></Response>", "GSM-7"),
    ("{what} {0} %s %(x)s \\x00 ${jndi:ldap://x}", "GSM-7"),
    ("Robert'); DELETE FROM needs;--\r\nline two\tand a tab", "UCS-2"),  # no tab in GSM
])
def test_any_text_is_stored_exactly_and_answered_safely(app, client, mary, body, encoding):
    reply = reply_of(text_in(client, body, mary.phone))
    assert reply is not None and body not in reply
    [received] = inbound_rows(app, mary.phone)
    assert received.body == body
    [need] = needs_of(app, mary.id)
    assert body in need.description
    assert received.encoding == encoding


def test_the_reply_row_records_the_encoding_and_segments(app, client, mary):
    update_client(app, mary.id, preferred_language="pl")
    reply_of(text_in(client, "Upadłam 😢", mary.phone))
    reply = [m for m in messages(app, mary.phone) if m.kind == "reply"][0]
    assert (reply.encoding, reply.segments) == ("UCS-2", 1)
    assert reply.body == "Dziękujemy. Zapisaliśmy: upadek. Ktoś zadzwoni dziś."


def test_a_number_we_cannot_read_is_kept_as_given(app, client):
    reply = reply_of(text_in(client, "Your parcel is waiting", "PARCELCO"))
    assert reply == render("reply_unknown_sender", "en")
    assert inbound_rows(app, "PARCELCO")[0].meaning == "unknown_sender"


def test_opting_out_by_reply_stops_the_next_check_in(app, client, mary):
    reply_of(text_in(client, "stop", mary.phone))
    asked = check_in(app, mary.id)
    with app.app_context():
        sent = db.session.get(Message, asked)
        assert sent.status == "cancelled"
        assert db.session.scalar(select(SmsNumber.opt_out_source).where(
            SmsNumber.phone == mary.phone)) == "keyword STOP"


def test_two_numbers_sending_the_same_text_are_two_needs(app, client, mary, world):
    other = world.client_off_round
    reply_of(text_in(client, "FALL", mary.phone))
    reply_of(text_in(client, "FALL", other.phone))
    assert len(needs_of(app, mary.id)) == len(needs_of(app, other.id)) == 1


def test_a_new_sid_format_for_picture_messages_is_accepted(app, client, mary):
    reply_of(text_in(client, "FALL", mary.phone, sid=new_sid("MM"), NumMedia="1"))
    assert inbound_rows(app, mary.phone)[0].provider_sid.startswith("MM")

