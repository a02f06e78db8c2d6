"""The words that give an inbound text its meaning, and the replies that confirm it."""

from __future__ import annotations

import pytest

from channels.sms import segments
from outreach.enums import InboundMeaning, Language, NeedCategory, NeedSeverity
from outreach.messages import keywords
from outreach.messages.keywords import (
    CARRIER_WORDS,
    SEVERITY,
    WORDS,
    carrier_meaning,
    categories_in,
    check_in_digit,
    fold,
    need_in,
)
from outreach.messages.texts import fields_of, render
from outreach.messages.texts.replies import TEXTS, WHAT

C = NeedCategory


@pytest.mark.parametrize(("raw", "folded"), [
    ("STOP", "stop"),
    ("  Stop  ", "stop"),
    ("stop!!", "stop"),
    ("Upadłam", "upadlam"),
    ("Tombé  par\tterre.", "tombe par terre"),
    ("QUEDA?!", "queda"),
    ("Ça va", "ca va"),
    ("", ""),
    ("...", ""),
    ("1.", "1"),
])
def test_fold(raw, folded):
    assert fold(raw) == folded


OPT_OUT = ["STOP", "stop", " Stop ", "STOPALL", "Unsubscribe", "CANCEL", "end", "QUIT.",
           "\tstop\n"]
OPT_IN = ["START", "start", "Yes", " UNSTOP "]
HELP = ["HELP", "help", "Info", "  INFO!"]


@pytest.mark.parametrize("text", OPT_OUT)
def test_opt_out_words(text):
    assert carrier_meaning(fold(text)) == InboundMeaning.OPT_OUT


@pytest.mark.parametrize("text", OPT_IN)
def test_opt_in_words(text):
    assert carrier_meaning(fold(text)) == InboundMeaning.OPT_IN


@pytest.mark.parametrize("text", HELP)
def test_help_words(text):
    assert carrier_meaning(fold(text)) == InboundMeaning.HELP


@pytest.mark.parametrize("text", ["stop the texts to my mum", "s t o p", "yes please a lift",
                                  "I need help", "stopp", "", "help please", "end it all",
                                  "I can't stop coughing", "stop start"])
def test_carrier_words_count_only_as_the_whole_text(text):
    assert carrier_meaning(fold(text)) is None


@pytest.mark.parametrize(("text", "digit"), [("1", "1"), (" 2 ", "2"), ("3.", "3"),
                                             ("4", None), ("12", None), ("1 2", None),
                                             ("one", "1"), ("١", None)])
def test_check_in_digits(text, digit):
    assert check_in_digit(fold(text)) == digit


# One realistic text per category and language; each must be understood as that category.
SAMPLES = {
    C.FALL: {"en": "I had a FALL in the kitchen", "pt": "Tive uma queda", "pl": "Upadłam wczoraj",
             "fr": "Je suis tombé"},
    C.SAFEGUARDING: {"en": "Someone tried to scam me", "pt": "Fui roubado",
                     "pl": "Ktoś mnie oszukał", "fr": "On m'a volé mon sac"},
    C.PAIN_OR_ILLNESS: {"en": "feeling ill today", "pt": "Estou doente",
                        "pl": "Boli mnie noga", "fr": "Je suis malade"},
    C.MEDICATION: {"en": "out of meds", "pt": "Preciso de medicamentos",
                   "pl": "Nie mam leków", "fr": "Mon ordonnance est finie"},
    C.FOOD_OR_SHOPPING: {"en": "no food in the house", "pt": "Não tenho comida",
                         "pl": "Potrzebuję zakupy", "fr": "J'ai faim"},
    C.HOME_OR_HEATING: {"en": "the boiler is broken", "pt": "Tenho frio em casa",
                        "pl": "Nie działa ogrzewanie", "fr": "Le chauffage est en panne"},
    C.PERSONAL_CARE: {"en": "cannot wash myself", "pt": "Preciso de ajuda no banho",
                      "pl": "Potrzebuję pomocy przy kąpieli",
                      "fr": "Besoin d'aide pour la toilette"},
    C.TRANSPORT: {"en": "need a lift to the hospital", "pt": "Preciso de boleia",
                  "pl": "Potrzebuję taksówki", "fr": "Il me faut un taxi"},
    C.MONEY: {"en": "worried about bills", "pt": "Não tenho dinheiro",
              "pl": "Nie mam pieniędzy", "fr": "Je ne peux pas payer le loyer"},
    C.LONELINESS: {"en": "I am so lonely", "pt": "Estou sozinha", "pl": "Czuję się samotna",
                   "fr": "Je me sens seule"},
    C.DIGITAL_HELP: {"en": "my computer will not start up", "pt": "O computador avariou",
                     "pl": "Nie działa komputer", "fr": "Mon ordinateur ne marche plus"},
}


@pytest.mark.parametrize(("category", "language", "text"), [
    (category, language, text) for category, texts in SAMPLES.items()
    for language, text in texts.items()])
def test_each_category_is_understood_in_each_language(category, language, text):
    found = need_in(text)
    assert found is not None, text
    assert (found.category, found.severity) == (category, SEVERITY[category])


@pytest.mark.parametrize("text", ["FALL", "fall", "Fell!", "queda", "Queda!", "QUEDA",
                                  "upadłam", "upadłem", "UPADEK", "tombé", "tombée",
                                  "  I   fell   over  "])
def test_case_accents_and_spacing_do_not_matter(text):
    assert need_in(text).category == C.FALL


@pytest.mark.parametrize("text", ["Thanks for the call yesterday", "Fine thank you",
                                  "I will be out on Tuesday", "ok", "1", "Bill is coming",
                                  "pillow", "falling leaves are pretty"])
def test_texts_without_need_words_name_nothing(text):
    assert need_in(text) is None


def test_words_match_whole_words_only():
    assert need_in("I walked past the waterfall") is None
    assert need_in("ill") is not None and need_in("will") is None and need_in("I'll") is None


def test_the_most_severe_need_wins_and_all_are_named():
    found = need_in("I fell and I am lonely and have no food")
    assert (found.category, found.severity) == (C.FALL, NeedSeverity.URGENT)
    assert set(found.named) == {C.FALL, C.LONELINESS, C.FOOD_OR_SHOPPING}
    assert need_in("lonely and need money").severity == NeedSeverity.ROUTINE
    assert need_in("money for food").category == C.FOOD_OR_SHOPPING  # soon beats routine


def test_every_category_has_words_in_every_language_and_a_severity():
    expected = set(NeedCategory) - {C.OTHER, C.NO_ANSWER, C.NO_RESPONSE, C.MISSED_VISIT,
                                    C.NOT_SEEN, C.INVALID_NUMBER}
    assert set(WORDS) == expected == set(SEVERITY) == set(WHAT)
    for category, by_language in WORDS.items():
        assert set(by_language) == set(Language), category
        assert all(by_language.values()), category
    assert {c for c, s in SEVERITY.items() if s == NeedSeverity.URGENT} == {
        C.FALL, C.SAFEGUARDING}


def _entries():
    for category, by_language in WORDS.items():
        for language, words in by_language.items():
            for word in words:
                yield category, language, word


@pytest.mark.parametrize(("category", "language", "word"), list(_entries()),
                         ids=lambda v: str(v))
def test_each_word_names_its_own_category_only(category, language, word):
    """No word (or stem, or phrase) is claimed by two categories, nor is it a carrier word."""
    plain = fold(word.rstrip("*"))
    assert plain == word.rstrip("*"), "write the words folded (no accents, lower case)"
    assert carrier_meaning(plain) is None
    assert categories_in(plain) == [category], plain
    if word.endswith("*"):
        assert len(plain) >= 3, "a stem this short matches too much"


def test_every_reply_exists_in_every_language_with_the_same_fields():
    for key, versions in TEXTS.items():
        assert set(versions) == set(Language), key
        assert len({frozenset(fields_of(t)) for t in versions.values()}) == 1, key
    for category, names in WHAT.items():
        assert set(names) == set(Language), category


@pytest.mark.parametrize("language", list(Language))
def test_need_replies_name_each_category_and_mostly_fit_one_segment(language):
    multi = []
    for category, severity in SEVERITY.items():
        body = render(f"reply_need_{severity.value}", language, what=WHAT[category][language])
        assert WHAT[category][language] in body
        if not segments.count(body).single:
            multi.append(category)
    assert len(multi) <= 1, multi  # Polish "help with computers" takes two


@pytest.mark.parametrize("key", [k for k in TEXTS if not fields_of(TEXTS[k][Language.ENGLISH])])
def test_fixed_replies_fit_one_segment(key):
    for language in Language:
        assert segments.count(render(key, language)).single, (key, language)


def test_carrier_word_table_is_the_carriers_own():
    assert {w for w, m in CARRIER_WORDS.items() if m == InboundMeaning.OPT_OUT} >= {
        "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout",
        "revoke"}
    assert {w for w, m in CARRIER_WORDS.items() if m == InboundMeaning.OPT_IN} >= {
        "start", "yes", "unstop"}
    assert {w for w, m in CARRIER_WORDS.items() if m == InboundMeaning.HELP} == {"help", "info"}
    assert keywords.CHECK_IN_DIGITS == ("1", "2", "3")
