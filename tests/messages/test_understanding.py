"""Nothing a client says is lost (issue 18, items 1 and 2): a need after a burst of short texts
is raised, and answers to a check-in are understood as people really type them.

Through the signed webhook, as tests/messages/test_inbound.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.messages import jobs
from outreach.messages.models import Message
from outreach.messages.texts import render
from tests.messages import reply_of, text_in
from tests.messages.test_inbound import MORNING, check_in, inbound_rows, later, needs_of

FALL_REPLY = render("reply_need_urgent", "en", what="a fall")


@pytest.fixture(autouse=True)
def _morning():
    set_clock(MORNING)
    yield
    set_clock(None)


@pytest.fixture
def mary(world):
    """The client on the round, as the tests text from her phone."""
    return world.client_on_round


def _burst(client, phone: str, bodies) -> list[str | None]:
    replies = []
    for n, body in enumerate(bodies):
        later(minutes=n)
        replies.append(reply_of(text_in(client, body, phone)))
    return replies


# --- 1. The loop guard stops our replies, never the understanding ----------------------------


def test_a_fall_after_five_short_texts_is_raised_and_answered(app, client, mary):
    _burst(client, mary.phone, ["Hello", "its Doris", "from number 4", "I am", "sorry"])
    later(minutes=6)
    reply = reply_of(text_in(client, "I have fallen and cant get up", mary.phone))
    assert reply == FALL_REPLY
    falls = [n for n in needs_of(app, mary.id) if n.category == "fall"]
    assert [(n.severity, n.status) for n in falls] == [("urgent", "open")]
    last = inbound_rows(app, mary.phone)[-1]
    assert (last.meaning, last.need_id) == ("need", falls[0].id)


def test_in_a_flood_a_need_already_raised_is_joined_and_not_answered_again(app, client, mary):
    limit = app.config["SMS_LOOP_LIMIT"]
    _burst(client, mary.phone, [f"text {n}" for n in range(limit)])
    later(minutes=limit)
    assert reply_of(text_in(client, "I fell", mary.phone)) == FALL_REPLY
    later(minutes=limit, seconds=30)
    assert reply_of(text_in(client, "fell down in the hall", mary.phone)) is None
    falls = [n for n in needs_of(app, mary.id) if n.category == "fall"]
    assert len(falls) == 1
    assert inbound_rows(app, mary.phone)[-1].need_id == falls[0].id
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "sms.loop_stopped")) == 1


def test_in_a_flood_a_check_in_answer_and_a_stop_are_still_understood(app, client, mary):
    asked = check_in(app, mary.id)
    _burst(client, mary.phone, ["Hello", "are you there", "hello?", "its me", "Doris", "x"])
    later(minutes=8)
    reply_of(text_in(client, "3", mary.phone))
    with app.app_context():
        assert db.session.get(Message, asked).answer == "3"
    assert any(n.severity == "urgent" for n in needs_of(app, mary.id))
    later(minutes=9)
    assert reply_of(text_in(client, "STOP", mary.phone)) == render("reply_opted_out", "en")


# --- 2. Answers people really type ------------------------------------------------------------


@pytest.mark.parametrize(("body", "digit"), [
    ("2 👍", "2"), ("👍2", "2"), ("1 ok", "1"), ("2 please", "2"), ("3!!", "3"), ("#3", "3"),
    ("two", "2"), ("Two!", "2"), ("TWO 🙂", "2"), ("dois", "2"), ("Três", "3"), ("tres", "3"),
    ("um", "1"), ("DWA", "2"), ("trzy 🙏", "3"), ("jeden", "1"), ("deux", "2"),
    ("Trois svp", "3"), ("un", "1"), ("1️⃣", "1"), ("２", "2"), ("number 2", "2"),
    ("2 obrigado", "2"), ("1ok", "1"), ("ok 1 thanks x", "1"),
])
def test_a_number_as_people_type_it_answers_the_check_in(app, client, mary, body, digit):
    asked = check_in(app, mary.id)
    later(minutes=15)
    reply = reply_of(text_in(client, body, mary.phone))
    key = {"1": "reply_check_in_ok", "2": "reply_check_in_call", "3": "reply_check_in_help"}
    assert reply == render(key[digit], "en")
    with app.app_context():
        assert db.session.get(Message, asked).answer == digit
    assert inbound_rows(app, mary.phone)[-1].meaning == "check_in_answer"


def test_a_2_or_3_among_words_answers_the_check_in_and_keeps_the_words(app, client, mary):
    asked = check_in(app, mary.id)
    later(minutes=15)
    assert reply_of(text_in(client, "3 not so good today", mary.phone)) == render(
        "reply_check_in_help", "en")
    [need] = needs_of(app, mary.id)
    assert (need.severity, need.description) == (
        "urgent", 'Needs help today (replied "3 not so good today" to a check-in text)')
    with app.app_context():
        assert db.session.get(Message, asked).answer == "3"


@pytest.mark.parametrize(("body", "category"), [
    ("1 but I had a fall", "fall"), ("2 I have a headache", "pain_or_illness"),
    ("I need 1 thing from the shop", "other"), ("1 and 3", "other"), ("un peu seule", "loneliness"),
])
def test_words_beside_a_number_are_read_as_what_they_say(app, client, mary, body, category):
    check_in(app, mary.id)
    later(minutes=15)
    reply_of(text_in(client, body, mary.phone))
    assert [n.category for n in needs_of(app, mary.id)] == [category]
    assert inbound_rows(app, mary.phone)[-1].meaning == "need"


def _no_response_job(app, hours: float = 4.05) -> None:
    with app.app_context():
        jobs.raise_no_responses(MORNING + timedelta(hours=hours))
        db.session.commit()


@pytest.mark.parametrize("body", ["Hello who is this", "2 👍", "two", "Is it Tuesday?", "🙂",
                                  "STOP", "I can't stop coughing"])
def test_any_text_after_a_check_in_is_not_silence(app, client, mary, body):
    # No `no_response` need: the need is what alerts the contacts (notices.need_raised).
    check_in(app, mary.id)
    later(hours=1)
    reply_of(text_in(client, body, mary.phone))
    _no_response_job(app)
    assert "no_response" not in [n.category for n in needs_of(app, mary.id)]


def test_our_own_text_echoed_back_is_still_silence(app, client, mary):
    asked = check_in(app, mary.id)
    with app.app_context():
        ours = db.session.get(Message, asked).body
    later(minutes=2)  # an autoresponder answers at once
    assert reply_of(text_in(client, ours, mary.phone)) is None
    _no_response_job(app)
    assert [n.category for n in needs_of(app, mary.id)] == ["no_response"]


def test_a_text_after_no_response_was_raised_closes_it(app, client, mary):
    check_in(app, mary.id)
    _no_response_job(app)
    [silence] = needs_of(app, mary.id)
    later(hours=5)
    reply_of(text_in(client, "sorry I was out, all fine", mary.phone))
    silence = next(n for n in needs_of(app, mary.id) if n.id == silence.id)
    assert (silence.status, silence.resolution) == (
        "resolved", "Texted back after the check-in (see the texts)")
