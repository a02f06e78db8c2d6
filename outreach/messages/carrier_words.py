"""Carrier words: opting out of texts (STOP), back in (START) and HELP, in our four languages.

Carriers and Twilio act on a fixed list of English words when one is the whole message (STOP,
STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE; START, UNSTOP, YES; HELP, INFO). People
also write "Stop please", "STOP ALL", "Arrêt" or "PARAR", so a text is an opt-out when its words
are opt-out words and nothing else but politeness ("please", "merci", "por favor") and, for the
clear ones, what to stop ("texts", "messages", "me"). Any other word makes it a message for a
person: "I can't stop coughing" is about a cough, and "end it all" must never be read as END.

HELP and YES count only as the whole text: "help please" from an older person asks for help,
and "yes please" answers something we asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from outreach.enums import InboundMeaning, Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH
ALL = frozenset(Language)
OPT_OUT, OPT_IN, HELP = InboundMeaning.OPT_OUT, InboundMeaning.OPT_IN, InboundMeaning.HELP

# Letters and digits apart: "1ok" is "1" and "ok", "stop!!" is "stop".
TOKEN = re.compile(r"[^\W\d_]+|\d+")


@dataclass(frozen=True)
class Word:
    """A carrier word or phrase (folded): what it means, in which languages, and whether it may
    be followed by what to stop ("STOP texts") or only by politeness ("END please")."""

    meaning: InboundMeaning
    languages: frozenset[Language]
    takes_object: bool = True


def _words(meaning, languages, phrases, *, takes_object=True) -> dict[str, Word]:
    return {phrase: Word(meaning, frozenset(languages), takes_object) for phrase in phrases}


# The carriers' own words (Twilio's list), understood whatever the client's language.
CARRIER_LIST: dict[str, Word] = {
    **_words(OPT_OUT, ALL, ("stop", "stopall", "stop all", "unsubscribe", "optout", "opt out")),
    # Words that are also everyday English: alone, or with please, only.
    **_words(OPT_OUT, ALL, ("cancel", "end", "quit", "revoke"), takes_object=False),
    **_words(OPT_IN, ALL, ("start", "unstop")),
}
# Clear opt-out and opt-in words in each of our languages (written folded: no accents).
OUR_WORDS: dict[str, Word] = {
    **_words(OPT_OUT, {PT}, ("parar", "pare", "cancelar", "descadastrar", "desinscrever")),
    **_words(OPT_OUT, {PL}, ("rezygnuje", "rezygnacja", "wypisz", "wypisz sie", "wypisac",
                             "anuluj")),
    **_words(OPT_OUT, {FR}, ("arret", "arreter", "arretez", "desabonner", "desabonnement",
                             "desinscrire", "desinscription")),
    **_words(OPT_IN, {PT}, ("iniciar", "reativar")),
    **_words(OPT_IN, {PL}, ("wznow", "wznowic")),
    **_words(OPT_IN, {FR}, ("reprendre", "reabonner")),
}
# Only ever the whole text.
WHOLE_TEXT_ONLY: dict[str, Word] = {
    **_words(OPT_IN, ALL, ("yes",)),
    **_words(HELP, ALL, ("help", "info")),
}
WORDS: dict[str, Word] = {**CARRIER_LIST, **OUR_WORDS, **WHOLE_TEXT_ONLY}

# Politeness, allowed beside any opt-out or opt-in word.
POLITE = frozenset({
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "now", "again",
    "por", "favor", "obrigado", "obrigada", "agora",
    "prosze", "dziekuje", "teraz",
    "merci", "svp", "stp", "s", "il", "vous", "plait", "maintenant",
})
# What to stop, allowed beside the opt-out and opt-in words that take it.
OBJECTS = frozenset({
    "text", "texts", "texting", "message", "messages", "messaging", "sms", "smss", "msg", "msgs",
    "sending", "me", "all",
    "mensagem", "mensagens", "todas", "todos", "tudo",
    "wiadomosc", "wiadomosci", "smsy", "sie", "mnie", "wszystko", "wszystkie",
    "les", "tous", "toutes", "tout", "moi", "m",
})


@dataclass(frozen=True)
class CarrierWord:
    """What a text said as a carrier word, and the languages the word it used belongs to."""

    meaning: InboundMeaning
    languages: frozenset[Language]


def tokens(folded: str) -> list[str]:
    """The words and numbers of a folded text, letters and digits apart."""
    return TOKEN.findall(folded)


def carrier_word(folded: str) -> CarrierWord | None:
    """The carrier meaning of a whole (folded) text, or None when it says anything else."""
    whole = " ".join(tokens(folded))
    if whole in WHOLE_TEXT_ONLY:
        word = WHOLE_TEXT_ONLY[whole]
        return CarrierWord(word.meaning, word.languages)
    found = _keywords(tokens(folded))
    if not found:
        return None
    meanings = {word.meaning for word in found}
    if len(meanings) != 1:
        return None  # "stop start": a person should read it
    languages = frozenset.intersection(*(word.languages for word in found))
    return CarrierWord(meanings.pop(), languages or found[0].languages)


def _keywords(words: list[str]) -> list[Word] | None:
    """The carrier words of a text made only of them and what may stand beside them, else
    None."""
    found: list[Word] = []
    rest: list[str] = []
    at = 0
    while at < len(words):
        pair = " ".join(words[at:at + 2])
        if pair in CARRIER_LIST or pair in OUR_WORDS:
            found.append(WORDS[pair])
            at += 2
        elif words[at] in CARRIER_LIST or words[at] in OUR_WORDS:
            found.append(WORDS[words[at]])
            at += 1
        else:
            rest.append(words[at])
            at += 1
    if not found:
        return None
    allowed = POLITE | (OBJECTS if all(word.takes_object for word in found) else frozenset())
    return found if all(word in allowed for word in rest) else None
