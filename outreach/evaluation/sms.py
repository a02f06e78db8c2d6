"""Outcome measures by text: the questions as texts, and the replies that answer them.

The job (outreach/evaluation/jobs.py) starts a run of questions with one queued text: the seven
wellbeing questions (UCLA-3, then ONS-4) or the one satisfaction question. Each answer is
stored at once and the webhook's reply (TwiML) asks the next question, so the run is a chain:
the queued `survey` text, the client's answer, our `reply` asking the next one, and so on. The
question awaiting an answer is the latest outbound text of that chain, and it can be answered
for ANSWERABLE after it was sent; past that the job stops the asking and keeps what was given.

`survey_answer` is the "survey answer" handler of inbound texts (outreach.messages.understanding,
filled by `outreach.evaluation.init_app`): after carrier words and loops and before repeats,
workshop texts and check-in digits, as a survey answer repeated to the next question ("3", then
"3") is an answer, not a repeat. Only a client's own number is asked, so a
designated contact's number never answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select

from outreach.audit.services import record
from outreach.db import db
from outreach.enums import InboundMeaning, Language, MessageDirection, MessageKind, MessageStatus
from outreach.evaluation.models import ITEM_RANGES, MeasureKind, MeasureSource, OutcomeMeasure
from outreach.evaluation.services import ITEMS, set_answer
from outreach.messages import number_words
from outreach.messages.models import Message
from outreach.messages.texts import render
from outreach.messages.texts.replies import QUESTIONS, SATISFACTION
from outreach.messages.understanding import Handled, Text

# A question is answerable for this long after it was sent; then the asking stops.
ANSWERABLE = timedelta(hours=48)
# Skipping the questions, in each of our languages (the carriers keep STOP for opting out).
SKIP_WORDS = frozenset({"skip", "saltar", "passar", "pomin", "passer"})
# "7", "07", "7/10" or "4 / 5": a whole number of one or two digits, alone.
_NUMBER = re.compile(r"([0-9]{1,2}) ?(?:/ ?(?:10|5))?")  # folded: spaces are single
# Survey answers in the repeat window that do not count towards the loop limit: a whole run
# answered within minutes, with a few questions asked again, is a person, not a machine.
ANSWERS_IN_A_RUN = len(ITEMS[MeasureKind.WELLBEING]) + 3
# Texts that never reached the phone cannot be awaiting an answer.
_NOT_ARRIVED = (MessageStatus.QUEUED, MessageStatus.CANCELLED, MessageStatus.FAILED)


def survey_key(kind: MeasureKind, client_id: int, day: date) -> str:
    """The dedupe key of the text starting a run of questions (one per kind, client and day)."""
    return f"survey:{kind.value}:{client_id}:{day.isoformat()}"


def first_text(kind: MeasureKind, programme_kind: str, language: Language,
               first_name: str) -> str:
    """The text that starts a run: a short introduction and the first question."""
    if kind == MeasureKind.WELLBEING:
        return (render("survey_wellbeing_start", language, first_name=first_name) + " "
                + ask(kind, ITEMS[kind][0], programme_kind, language))
    return (render("survey_satisfaction_start", language, first_name=first_name) + " "
            + ask(kind, "satisfaction", programme_kind, language))


def ask(kind: MeasureKind, item: str, programme_kind: str, language: Language) -> str:
    """One question as texted: numbered among the seven, or the satisfaction question."""
    if kind == MeasureKind.SATISFACTION:
        return SATISFACTION[programme_kind][Language(language)]
    return render("reply_survey_question", language, number=ITEMS[kind].index(item) + 1,
                  question=QUESTIONS[item][Language(language)])


def number_in(folded: str) -> int | None:
    """The whole number a (folded) text answers with, else None: "7", "7/10", and as people
    type it ("7 👍", "seven", "sete", "siedem", "sept": see messages.number_words)."""
    found = _NUMBER.fullmatch(folded)
    return int(found.group(1)) if found else number_words.number_answer(folded)


# --- The question awaiting an answer ----------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """A run of questions waiting for an answer, and the text that asked the latest one."""

    measure: OutcomeMeasure
    question: Message

    @property
    def at(self) -> datetime:
        return self.question.sent_at or self.question.created_at


def last_question(measure: OutcomeMeasure, phone: str | None = None) -> Message | None:
    """The latest text asking one of the run's questions: the first text or a reply to an
    answer (optionally only those to `phone`)."""
    answers = select(Message.id).where(
        Message.direction == MessageDirection.INBOUND, Message.client_id == measure.client_id,
        Message.meaning == InboundMeaning.SURVEY_ANSWER, Message.created_at >= measure.asked_at)
    query = select(Message).where(
        Message.direction == MessageDirection.OUTBOUND, Message.client_id == measure.client_id,
        or_(and_(Message.kind == MessageKind.SURVEY, Message.created_at >= measure.asked_at),
            and_(Message.kind == MessageKind.REPLY, Message.in_reply_to_id.in_(answers))))
    if phone is not None:
        query = query.where(Message.phone == phone)
    return db.session.scalar(query.order_by(Message.id.desc()).limit(1))


def awaiting(who, now: datetime) -> Asked | None:
    """The run of questions awaiting the sender's answer, if its latest question was sent to
    this number within ANSWERABLE (a designated contact's number is never asked)."""
    if who.contacts or not who.clients:
        return None
    measure = db.session.scalar(select(OutcomeMeasure).where(
        OutcomeMeasure.client_id.in_([c.id for c in who.clients]),
        OutcomeMeasure.source == MeasureSource.SMS, OutcomeMeasure.awaiting != "",
        OutcomeMeasure.declined.is_(False))
        .order_by(OutcomeMeasure.asked_at.desc(), OutcomeMeasure.id.desc()).limit(1))
    if measure is None:
        return None
    question = last_question(measure, who.phone)
    if question is None or question.answered_at is not None or question.status in _NOT_ARRIVED:
        return None
    asked = Asked(measure, question)
    return asked if asked.at >= now - ANSWERABLE else None


# --- Understanding a reply ------------------------------------------------------------------


def understand(message: Message, who, folded: str, now: datetime, *,
               rival_at: Callable[[], datetime | None] | None = None) -> str | None:
    """A number or SKIP answering the question awaiting the sender: store it and answer the
    reply (the next question, the same again, thanks). None when the text is not that.

    `rival_at` answers when a check-in or workshop follow-up that this text (a lone 1, 2 or 3)
    could also answer was sent: the question asked last wins. It is called only when a question
    is awaiting an answer, as looking the rivals up costs queries.
    """
    number = number_in(folded)
    skip = folded in SKIP_WORDS
    if number is None and not skip:
        return None
    asked = awaiting(who, now)
    if asked is None:
        return None
    rival = rival_at() if rival_at is not None else None
    if rival is not None and rival > asked.at:
        return None
    measure, question = asked.measure, asked.question
    client = measure.client
    message.meaning = InboundMeaning.SURVEY_ANSWER
    message.client_id, message.programme_id = client.id, client.programme_id
    message.in_reply_to_id = question.id
    language, programme_kind = client.preferred_language, client.programme.kind
    if skip:
        question.answered_at, question.answer = now, "SKIP"
        measure.declined, measure.awaiting = True, ""
        _record(measure, "measure.declined")
        return render("reply_survey_declined", language)
    item = measure.awaiting
    low, high = ITEM_RANGES[item]
    if not low <= number <= high:
        return render("reply_survey_again", language, low=low, high=high,
                      question=ask(measure.kind, item, programme_kind, language))
    question.answered_at, question.answer = now, str(number)
    if set_answer(measure, item, number, now):
        _record(measure, "measure.record")
        return render("reply_survey_thanks", language)
    measure.awaiting = next(i for i in ITEMS[measure.kind] if getattr(measure, i) is None)
    db.session.flush()
    return ask(measure.kind, measure.awaiting, programme_kind, language)


def stop_asking(measure: OutcomeMeasure) -> None:
    """No answer in time: ask no more, keeping the answers given."""
    measure.awaiting = ""
    _record(measure, "measure.unanswered")


def _record(measure: OutcomeMeasure, action: str) -> None:
    """Audit the end of a run by text (ids and item names only)."""
    given = sorted(i for i in ITEMS[measure.kind] if getattr(measure, i) is not None)
    record(None, action, subject=measure, client_id=measure.client_id,
           detail={"kind": measure.kind.value, "source": MeasureSource.SMS.value,
                   "items": given, "declined": measure.declined}, via="sms")


def survey_answer(text: Text) -> Handled | None:
    """The inbound text's handler: an answer to the question awaiting the sender, if it is one."""
    reply = understand(text.message, text.who, text.folded, text.now,
                       rival_at=text.asked_at if text.digit is not None else None)
    return Handled(reply, fresh=True) if reply is not None else None
