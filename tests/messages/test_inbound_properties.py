"""Properties of texting in (issue 18), over any sequence of texts from one number: random
timing (a controlled clock), repeats, our four languages, emoji, carrier words, and an
autoresponder sending our own replies back.

- every text naming a need raises or joins a need of that kind, whatever came before it;
- no reply loop forms: our words sent back are never answered nor read as a need, and the
  replies to the number within any repeat window stay bounded;
- every opt-out and opt-in word is confirmed in the sender's language, and the number's
  opt-out state is what the last of them said.

Each example is a new client with a number of their own, through the real signed webhook; the
suite runs them on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import Language, MessageDirection, MessageKind, NeedCategory
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.messages.texts import render
from outreach.needs.models import Need
from outreach.programmes.models import Programme
from tests import factories
from tests.messages import reply_of, text_in

EN, PT, PL, FR = "en", "pt", "pl", "fr"
ALL = {EN, PT, PL, FR}
C = NeedCategory

# Texts naming a need, in each language, and the kind of need each names.
NEEDS = [
    ("I have fallen and cant get up", C.FALL), ("fell in the garden 😢", C.FALL),
    ("Caí no chão", C.FALL), ("Upadłam w kuchni", C.FALL), ("Je suis tombée", C.FALL),
    ("I feel dizzy", C.PAIN_OR_ILLNESS), ("Dói-me muito, tenho febre", C.PAIN_OR_ILLNESS),
    ("Mam gorączkę", C.PAIN_OR_ILLNESS), ("J'ai de la fièvre", C.PAIN_OR_ILLNESS),
    ("no food in the house", C.FOOD_OR_SHOPPING), ("Tenho fome", C.FOOD_OR_SHOPPING),
    ("the heating is broken, so cold", C.HOME_OR_HEATING), ("Zimno w domu", C.HOME_OR_HEATING),
    ("Je me sens seule", C.LONELINESS), ("Estou sozinha", C.LONELINESS),
    ("Someone tried to scam me!!", C.SAFEGUARDING), ("I need my prescription", C.MEDICATION),
    ("I can't stop coughing, in pain", C.PAIN_OR_ILLNESS),
]
# Texts that name no need: the pieces of a message split over several texts, and answers.
OTHERS = ["Hello", "its Doris", "from number 4", "👍", "Olá", "Dzień dobry", "Bonjour",
          "are you there?", "2 👍", "two", "3!!", "ok", "sorry"]
# Carrier words: what each means, and the languages it belongs to.
CARRIER = [
    ("STOP", "out", ALL), ("Stop please", "out", ALL), ("STOP ALL", "out", ALL),
    ("unsubscribe", "out", ALL), ("OPTOUT", "out", ALL), ("PARAR", "out", {PT}),
    ("Arrêt", "out", {FR}), ("WYPISZ", "out", {PL}), ("rezygnuję", "out", {PL}),
    ("START", "in", ALL), ("unstop", "in", ALL), ("INICIAR", "in", {PT}),
    ("wznów", "in", {PL}), ("Reprendre", "in", {FR}),
]
ECHO = "<our last reply, sent back>"


def _dressed(text: str, how: int) -> str:
    """The same words as people send them: shouted, lower case, or with an emoji."""
    return [text, text.upper(), text.lower(), f"{text} 🙏", f"{text}!!"][how]


step = st.one_of(
    st.tuples(st.sampled_from(NEEDS), st.integers(0, 4)).map(lambda t: ("need", t[0], t[1])),
    st.tuples(st.sampled_from(OTHERS), st.integers(0, 4)).map(lambda t: ("other", t[0], t[1])),
    st.tuples(st.sampled_from(CARRIER), st.integers(0, 2)).map(lambda t: ("carrier", t[0],
                                                                            t[1])),
    st.just(("echo", ECHO, 0)),
)
# Seconds since the text before: a burst, a pause, or past the repeat window.
gap = st.sampled_from([0, 5, 20, 60, 90, 240, 700])
sequences = st.lists(st.tuples(gap, step), min_size=1, max_size=12)

@dataclass
class Sent:
    kind: str
    body: str
    reply: str | None
    message_id: int
    expected: object = None  # the need kind, or (meaning, languages) of a carrier word


@pytest.fixture
def programme_id(world) -> int:
    return world.programme.id


def _new_client(app, programme_id: int, language: str) -> tuple[int, str]:
    with app.app_context():
        client = factories.client(db.session.get(Programme, programme_id),
                                  preferred_language=language)
        factories.consent(client)
        db.session.commit()
        return client.id, client.phone


def _send(app, client, phone: str, body: str) -> tuple[str | None, int]:
    reply = reply_of(text_in(client, body, phone))
    with app.app_context():
        last = db.session.scalar(select(Message.id).where(
            Message.phone == phone, Message.direction == MessageDirection.INBOUND)
            .order_by(Message.id.desc()).limit(1))
    return reply, last


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=sequences, language=st.sampled_from([EN, PT, PL, FR]))
def test_any_sequence_of_texts_from_one_number(app, client, _transaction, programme_id, steps,
                                               language):
    note(f"{language}: {steps}")
    # Each example's rows are undone after it, so that every example starts afresh.
    example = _transaction.begin_nested()
    try:
        _example(app, client, programme_id, steps, language)
    finally:
        set_clock(None)
        example.rollback()


def _example(app, client, programme_id: int, steps, language: str) -> None:
    clock = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    client_id, phone = _new_client(app, programme_id, language)
    sent: list[Sent] = []
    last_reply = None
    for seconds, (kind, what, how) in steps:
        if kind == "echo":
            if last_reply is None:
                continue
            seconds, body = min(seconds, 20), last_reply  # an autoresponder: at once
        elif kind == "carrier":
            body = _dressed(what[0], how)
        else:
            body = _dressed(what[0] if kind == "need" else what, how)
        clock += timedelta(seconds=seconds)
        set_clock(clock)
        reply, message_id = _send(app, client, phone, body)
        expected = what[1] if kind == "need" else what[1:] if kind == "carrier" else None
        sent.append(Sent(kind, body, reply, message_id, expected))
        last_reply = reply  # an autoresponder answers the text it just got, if any
    _check(app, client_id, phone, language, sent)


def _check(app, client_id: int, phone: str, language: str, sent: list[Sent]) -> None:
    with app.app_context():
        rows = {m.id: m for m in db.session.scalars(select(Message).where(
            Message.phone == phone))}
        needs = {n.id: n for n in db.session.scalars(select(Need).where(
            Need.client_id == client_id))}
        known = numbers.number_record(phone)
        opted_out = known is not None and known.opted_out
    for text in sent:
        message = rows[text.message_id]
        if text.kind == "need":
            # Raised or joined, whatever came before: a need of the kind the text names.
            assert message.need_id in needs, (text.body, message.meaning)
            assert needs[message.need_id].category == text.expected, text.body
        elif text.kind == "echo":
            assert (text.reply, message.meaning, message.need_id) == (None, "loop", None)
        elif text.kind == "carrier":
            meaning, languages = text.expected
            said = language if language in languages else sorted(languages)[0]
            key = "reply_opted_out" if meaning == "out" else "reply_opted_in"
            assert text.reply == render(key, Language(said)), text.body
    _replies_stay_bounded(app, rows.values())
    words = [t.expected[0] for t in sent if t.kind == "carrier"]
    assert opted_out == (bool(words) and words[-1] == "out")


def _replies_stay_bounded(app, rows) -> None:
    """Within any repeat window, our answers other than opt-out/opt-in confirmations number at
    most what a person gets before the loop guard holds (SMS_LOOP_LIMIT - 1) plus one for each
    kind of need a flood could newly raise."""
    window = timedelta(minutes=app.config["SMS_REPEAT_WINDOW_MINUTES"])
    confirmations = {render(key, lang) for key in ("reply_opted_out", "reply_opted_in")
                     for lang in Language}
    times = sorted(m.created_at for m in rows if m.kind == MessageKind.REPLY
                   and m.body not in confirmations)
    bound = app.config["SMS_LOOP_LIMIT"] - 1 + len(NeedCategory)
    for at, first in enumerate(times):
        assert sum(1 for t in times[at:] if t - first < window) <= bound
