"""Opting out and back in by text (issue 18, item 3): the carriers' full list of words, clear
words in Portuguese, Polish and French, and a confirmation for every one, each time, in the
sender's language. Through the signed webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.db import db, set_clock
from outreach.messages import numbers
from outreach.messages.texts import render
from outreach.people.models import Client
from tests.messages import reply_of, text_in
from tests.messages.test_inbound import MORNING, inbound_rows, later, needs_of

STRANGER = "+447700900995"


@pytest.fixture(autouse=True)
def _morning():
    set_clock(MORNING)
    yield
    set_clock(None)


@pytest.fixture
def mary(world):
    return world.client_on_round


def _opted_out(app, phone: str) -> bool:
    with app.app_context():
        known = numbers.number_record(phone)
        return known is not None and known.opted_out


def _speaks(app, client_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(Client, client_id).preferred_language = language
        db.session.commit()


@pytest.mark.parametrize("body", [
    "STOP", "STOPALL", "STOP ALL", "stop all", "Stop all texts", "UNSUBSCRIBE", "CANCEL", "END",
    "QUIT", "OPTOUT", "opt out", "Opt-out", "REVOKE", "Stop please", "please stop",
    "STOP!!", "stop 🛑", "Stop texting me", "STOP STOP", "stop sending messages thank you",
])
def test_the_carriers_words_opt_out(app, client, mary, body):
    assert reply_of(text_in(client, body, mary.phone)) == render("reply_opted_out", "en")
    assert _opted_out(app, mary.phone)
    assert inbound_rows(app, mary.phone)[-1].meaning == "opt_out"
    assert needs_of(app, mary.id) == []


@pytest.mark.parametrize(("body", "language"), [
    ("PARAR", "pt"), ("Pare", "pt"), ("CANCELAR", "pt"), ("parar por favor", "pt"),
    ("REZYGNUJĘ", "pl"), ("rezygnuje", "pl"), ("WYPISZ", "pl"), ("wypisz mnie", "pl"),
    ("ARRÊT", "fr"), ("Arret", "fr"), ("DÉSABONNER", "fr"), ("arrêt svp", "fr"),
    ("STOP", "pl"), ("Stop please", "fr"),
])
def test_our_languages_opt_out_words_are_confirmed_in_the_senders_language(
        app, client, mary, body, language):
    _speaks(app, mary.id, language)
    assert reply_of(text_in(client, body, mary.phone)) == render("reply_opted_out", language)
    assert _opted_out(app, mary.phone)


@pytest.mark.parametrize(("body", "language"), [("PARAR", "pt"), ("Arrêt", "fr"),
                                                ("WYPISZ", "pl"), ("STOP", "en")])
def test_a_strangers_opt_out_is_confirmed_in_the_language_of_the_word(app, client, body,
                                                                      language):
    assert reply_of(text_in(client, body, STRANGER)) == render("reply_opted_out", language)
    assert _opted_out(app, STRANGER)


@pytest.mark.parametrize("body", [
    "I can't stop coughing", "the pain won't stop", "end it all", "I want to end it",
    "cancel my visit", "stop the texts to my mum", "don't stop", "please help", "Para mim",
    "arrêt de bus", "koniec świata",
])
def test_messages_using_an_opt_out_word_are_read_not_obeyed(app, client, mary, body):
    assert reply_of(text_in(client, body, mary.phone)) != render("reply_opted_out", "en")
    assert not _opted_out(app, mary.phone)
    assert inbound_rows(app, mary.phone)[-1].meaning == "need"
    assert len(needs_of(app, mary.id)) == 1


def test_every_stop_is_confirmed_each_time(app, client, mary):
    _speaks(app, mary.id, "pt")
    confirmations = []
    for n in range(4):
        later(minutes=n)
        confirmations.append(reply_of(text_in(client, ["STOP", "PARAR", "stop", "STOP"][n],
                                              mary.phone)))
    assert confirmations == [render("reply_opted_out", "pt")] * 4


def test_stops_in_a_flood_are_still_confirmed(app, client, mary):
    for n in range(app.config["SMS_LOOP_LIMIT"] + 2):
        set_clock(MORNING + timedelta(seconds=20 * n))
        assert reply_of(text_in(client, "STOP", mary.phone)) == render("reply_opted_out", "en")


@pytest.mark.parametrize(("body", "language"), [
    ("START", "en"), ("UNSTOP", "en"), ("start please", "en"), ("INICIAR", "pt"),
    ("wznów", "pl"), ("REPRENDRE", "fr"),
])
def test_opt_in_words_start_texts_again_and_are_confirmed(app, client, mary, body, language):
    _speaks(app, mary.id, language)
    reply_of(text_in(client, "STOP", mary.phone))
    later(minutes=20)
    assert reply_of(text_in(client, body, mary.phone)) == render("reply_opted_in", language)
    assert not _opted_out(app, mary.phone)
