"""Messages' own handlers of inbound texts, each for its place in `understanding.ORDER`."""

from __future__ import annotations

from sqlalchemy import select

from outreach.db import db
from outreach.enums import (
    InboundMeaning,
    Language,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
)
from outreach.messages import carrier_words, check_in_answers, keywords, numbers
from outreach.messages.inbound import reply_to
from outreach.messages.texts import render
from outreach.messages.texts.replies import WHAT
from outreach.messages.understanding import Handled, Text, register
from outreach.needs.models import Need
from outreach.needs.services import create_need


def carrier_word(text: Text) -> Handled | None:
    """STOP, START or HELP: opt out, opt in, or the help text, confirmed in their language."""
    meaning = text.carrier_meaning
    if meaning is None:
        return None
    message, word = text.message, text.folded
    language = _language(text.who, text.carrier)
    message.meaning = meaning
    if meaning == InboundMeaning.OPT_OUT:
        numbers.opt_out(message.phone, f"keyword {word.upper()}"[:60], text.now)
        return Handled(render("reply_opted_out", language))
    if meaning == InboundMeaning.OPT_IN:
        numbers.opt_in(message.phone, text.now)
        return Handled(render("reply_opted_in", language))
    return Handled(render("reply_help", language))


def _language(who, carrier: carrier_words.CarrierWord) -> Language:
    """The language to confirm a carrier word in: the sender's, unless the word they used
    is another language's own (a stranger's PARAR is answered in Portuguese)."""
    if who.language in carrier.languages or not carrier.languages:
        return who.language
    return sorted(carrier.languages)[0]


def echo(text: Text) -> Handled | None:
    """Our own words sent back (another machine answering ours): a loop, never answered."""
    if not text.echo:
        return None
    text.message.meaning = InboundMeaning.LOOP
    return Handled(None)


def repeat(text: Text) -> Handled | None:
    """The same text again within minutes: answered as the first time, nothing raised again."""
    if text.first is None:
        return None
    text.message.meaning = InboundMeaning.REPEAT
    text.message.need_id = text.first.need_id
    return Handled(reply_to(text.first.id))


def unknown_sender(text: Text) -> Handled | None:
    if text.who.known:
        return None
    text.message.meaning = InboundMeaning.UNKNOWN_SENDER
    return Handled(render("reply_unknown_sender", Language.ENGLISH))


def check_in_answer(text: Text) -> Handled | None:
    """A lone 1, 2 or 3 answering the check-in waiting for it."""
    if text.digit is None or (check_in := text.check_in) is None:
        return None
    return Handled(check_in_answers.answer(text.message, check_in, text.digit,
                                           text.who.language, text.now,
                                           bare=text.folded == text.digit))


def digit_among_words(text: Text) -> Handled | None:
    """A 2 or 3 in a longer text naming no need ("3 not well today"): it answers a check-in."""
    if keywords.need_in(text.message.body) is not None:
        return None
    among = keywords.check_in_digit_among_words(text.folded)
    if among is None or (check_in := text.check_in) is None:
        return None
    return Handled(check_in_answers.answer(text.message, check_in, among, text.who.language,
                                           text.now, bare=False))


def need(text: Text) -> Handled:
    """Raise a need for each of the sender's clients: named by its words, else `other`.

    While the loop guard holds (many texts in minutes), a text naming a need one of the
    window's texts raised joins it, and a text naming none joins the latest, rather than
    raising a need per text of a flood; a need not yet raised is raised, whatever came before.
    """
    message, who = text.message, text.who
    joinable = text.window.need_ids() if text.flooded else None
    found = keywords.need_in(message.body)
    if found is not None:
        category, severity = found.category, found.severity
        answer = render(f"reply_need_{severity.value}", who.language,
                        what=WHAT[category][who.language])
    else:
        category, severity = NeedCategory.OTHER, NeedSeverity.SOON
        answer = render("reply_read_by_team", who.language)
    message.meaning = InboundMeaning.NEED
    if joinable and (joined := _open_need(joinable, None if found is None else category)):
        message.need_id = joined
        return Handled(answer)
    said = message.body if message.body.strip() else "(The text was empty.)"
    if text.digit is not None:
        said = f'Texted "{said}", but no check-in text was waiting for an answer.'
    raised = []
    for client in who.clients:
        contact = who.contacts.get(client.id)
        description = said if contact is None else (
            f"Text from {contact.name} ({contact.relationship_to_client or 'designated contact'}"
            f"): {said}")
        raised.append(create_need(None, client, category, severity, description,
                                  NeedSource.SMS))
    message.need_id = raised[0].id
    return Handled(answer)


def _open_need(need_ids: list[int], category: NeedCategory | None) -> int | None:
    """The latest of these needs still open (of `category`, when given), if any."""
    query = select(Need.id).where(Need.id.in_(need_ids), Need.status == NeedStatus.OPEN)
    if category is not None:
        query = query.where(Need.category == category)
    return db.session.scalar(query.order_by(Need.id.desc()).limit(1))


def register_all() -> None:
    """Fill messages' places in the order inbound texts are understood."""
    for place, handler in (("carrier word", carrier_word), ("echo", echo), ("repeat", repeat),
                           ("unknown sender", unknown_sender),
                           ("check-in answer", check_in_answer),
                           ("check-in digit among words", digit_among_words), ("need", need)):
        register(place, handler)

