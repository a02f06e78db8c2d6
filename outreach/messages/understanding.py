"""Understanding an inbound text: an ordered list of handlers, each asked in turn.

`ORDER` is the order a text is offered to the handlers; the first that says "mine, handled"
(a `Handled`, with the reply to send) decides what it means, and the rest are not asked. A
handler that answers None says "not mine". Messages fills its own places; the features that
understand texts of their own fill theirs from their `init_app` (`register`), so messages
imports none of them.

Every text is understood, however many came before it: the loop guard (`loop_guard`) only
decides whether we answer, after the handlers: it holds back our replies to a number sending
many texts in minutes, except the confirmation of an opt-out or opt-in and the first reply about
a need not raised before in those minutes. A text that repeats our own words is the one text
not acted on: it names nothing of the sender's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from outreach.db import db
from outreach.enums import InboundMeaning, NeedStatus
from outreach.messages import carrier_words, check_in_answers, keywords, loop_guard
from outreach.messages.models import Message
from outreach.needs.models import Need

if TYPE_CHECKING:
    from outreach.messages.inbound import Sender

# A text seen before within the window is answered again only while fewer replies than this
# went to the number: a person re-sending gets a confirmation, a flood does not.
REPLIES_PER_WINDOW = 2

ORDER = (
    "workshop place taken",  # literacy: YES from a learner offered a place takes it
    "carrier word",  # STOP, START, HELP in our four languages (carrier_words)
    "echo",  # our own text sent back to us
    # evaluation: a number or SKIP answering an outcome-measure question, before repeats (the
    # same answer to the next question is no repeat); of it and a check-in or follow-up
    # waiting for a 1, 2 or 3, the question asked last takes the digit
    "survey answer",
    "repeat",  # the same text again within minutes: answered as the first time
    "unknown sender",  # a number that is no client's or designated contact's
    "workshop text",  # literacy: a session's code, LEARN, yes to a place offered
    "check-in answer",  # a 1, 2 or 3 answering a check-in
    "workshop follow-up",  # literacy: a 1, 2 or 3 answering a workshop's follow-up
    "contact's OK",  # escalations: a designated contact takes on the alerts sent to them
    "check-in digit among words",  # "3 not well today" answering a check-in
    "need",  # need words, or anything else for a person to read
)


@dataclass(frozen=True)
class Handled:
    """A handler's "mine, handled": what to reply (None: nothing).

    `fresh`: the text answers a question just asked, so its words repeating an earlier text's
    make it no repeat ("3" to the next question).
    """

    reply: str | None
    fresh: bool = False


Handler = Callable[["Text"], Handled | None]
_handlers: dict[str, Handler] = {}
# When a question that a lone 1, 2 or 3 could answer was sent, by the feature asking it
# (messages' own check-in is asked first).
_digit_questions: dict[str, Callable[[Text], datetime | None]] = {}


def register(place: str, handler: Handler) -> None:
    """Put `handler` in its `place` of ORDER (again is fine; another handler there is not)."""
    if place not in ORDER:
        raise ValueError(f"no place {place!r} in the order inbound texts are understood")
    if _handlers.setdefault(place, handler) is not handler:
        raise ValueError(f"the place {place!r} already has a handler")


def register_digit_question(name: str, asked_at: Callable[[Text], datetime | None]) -> None:
    """Name a question a lone digit could answer, and when it was asked of this text's sender."""
    _digit_questions[name] = asked_at


@dataclass
class Text:
    """An inbound text being understood, and what is known about it before any handler."""

    message: Message
    who: Sender
    now: datetime
    folded: str
    window: loop_guard.Window
    was_opted_out: bool
    carrier: carrier_words.CarrierWord | None
    echo: bool
    flooded: bool
    digit: str | None
    first: Message | None  # the earlier text in the window this one repeats, if any
    _found: dict = field(default_factory=dict)

    @classmethod
    def read(cls, message: Message, who: Sender, now: datetime) -> Text:
        folded = keywords.fold(message.body)
        window = loop_guard.window(message, now)
        was_opted_out = who.number is not None and who.number.opted_out
        carrier = carrier_words.carrier_word(folded)
        echo = carrier is None and window.echoes(folded)
        flooded = window.flooded()
        digit = keywords.check_in_digit(folded)
        first = window.first_like(message.fingerprint)
        if first is not None and first.need_id is not None and not _still_open(first.need_id):
            first = None  # the need was closed since: a new report, not a repeat
        return cls(message, who, now, folded, window, was_opted_out, carrier, echo, flooded,
                   digit, first)

    @property
    def carrier_meaning(self) -> InboundMeaning | None:
        return self.carrier.meaning if self.carrier is not None else None

    @cached_property
    def check_in(self) -> Message | None:
        """The check-in waiting for this sender's answer, looked up once and only if asked."""
        return check_in_answers.pending_check_in(self.who, self.now)

    def found(self, name: str, look_up: Callable[[], object]):
        """What `look_up` finds, looked up once per text (handlers share their lookups)."""
        if name not in self._found:
            self._found[name] = look_up()
        return self._found[name]

    def asked_at(self) -> datetime | None:
        """When the latest question that a lone digit could answer was sent to the sender."""
        moments = []
        if (check_in := self.check_in) is not None:
            moments.append(check_in.sent_at or check_in.created_at)
        for asked_at in _digit_questions.values():
            if (moment := asked_at(self)) is not None:
                moments.append(moment)
        return max(moments, default=None)


def understand(message: Message, who: Sender, now: datetime) -> str | None:
    """Give `message` its meaning, act on it, and answer what to reply (None: nothing)."""
    text = Text.read(message, who, now)
    handled = _handle(text)
    if handled.fresh:
        text.first = None
    if who.known and not who.contacts and message.meaning != InboundMeaning.LOOP:
        check_in_answers.heard_from(text.check_in, now)
    if text.carrier_meaning in (InboundMeaning.OPT_OUT, InboundMeaning.OPT_IN):
        return handled.reply  # every opt-out and opt-in is confirmed, each time (carriers' rule)
    if text.echo or (text.flooded and not _raised_now(message, text.window)):
        loop_guard.stopped(message, text.window,
                           loop_guard.ECHO if text.echo else loop_guard.TOO_MANY)
        return None
    if text.was_opted_out:
        return None  # the provider would refuse it; what they said is still acted on
    if text.first is not None and text.window.replies >= REPLIES_PER_WINDOW:
        return None
    return handled.reply


def _handle(text: Text) -> Handled:
    for place in ORDER:
        handler = _handlers.get(place)
        if handler is not None and (handled := handler(text)) is not None:
            return handled
    raise LookupError("no handler took the text; the need handler takes any text")


def _raised_now(message: Message, window: loop_guard.Window) -> bool:
    """Whether this text raised a need no earlier text in the window had: worth a reply even
    while the loop guard holds our answers back (the need is new; more texts join it)."""
    return message.need_id is not None and message.need_id not in window.need_ids() \
        and message.meaning != InboundMeaning.REPEAT


def _still_open(need_id: int) -> bool:
    need = db.session.get(Need, need_id)
    return need is not None and need.status == NeedStatus.OPEN
