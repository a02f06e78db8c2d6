"""Numbers as people text them in answer to a question: "2", "2 👍", "1 ok", "3!!", "two",
"dois", "dwa", "deux".

A text is a number answer when it holds one number, as digits or written out in English,
Portuguese, Polish or French (accents and case do not matter: texts are folded first), and
nothing else but emoji, punctuation and words that add nothing to it ("ok", "please", "thanks",
"number", "yes" in our languages). "I have 2 cats" is not one; whether such a text still answers
a waiting check-in is decided by the caller (outreach.messages.inbound).
"""

from __future__ import annotations

import re

from outreach.messages.carrier_words import TOKEN, tokens

_NEGATIVE = re.compile(r"[-\u2212]\s*\Z")  # a minus sign just before a number

# Written out, folded. Near misses people type are kept where they cannot mean anything else.
# Polish "pięć" (5) folds to "piec" (a stove: a heating need) and is left out.
WRITTEN: dict[str, int] = {
    **dict.fromkeys(("zero",), 0),
    **dict.fromkeys(("one", "um", "uma", "jeden", "jedna", "jedno", "jedynka", "un", "une"), 1),
    **dict.fromkeys(("two", "dois", "duas", "dwa", "dwie", "dwojka", "deux", "deu"), 2),
    **dict.fromkeys(("three", "thre", "tres", "trez", "trzy", "trojka", "trois", "troi",
                     "troix"), 3),
    **dict.fromkeys(("four", "quatro", "cztery", "quatre"), 4),
    **dict.fromkeys(("five", "cinco", "cinq"), 5),
    **dict.fromkeys(("six", "seis", "szesc"), 6),
    **dict.fromkeys(("seven", "sete", "siedem", "sept"), 7),
    **dict.fromkeys(("eight", "oito", "osiem", "huit"), 8),
    **dict.fromkeys(("nine", "nove", "dziewiec", "neuf"), 9),
    **dict.fromkeys(("ten", "dez", "dziesiec", "dix"), 10),
}
# Words that add nothing to a number answer.
FILLERS = frozenset({
    # en
    "ok", "okay", "okey", "k", "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty",
    "ta", "cheers", "yes", "yep", "y", "number", "nr", "option", "answer", "reply", "is",
    "its", "it", "my", "i", "im", "am", "say", "hi", "hello", "x", "xx", "xxx",
    # pt
    "sim", "numero", "opcao", "resposta", "obrigado", "obrigada", "obg", "por", "favor", "e",
    "ola", "oi", "beijos", "bjs",
    # pl
    "tak", "numer", "opcja", "odpowiedz", "prosze", "dziekuje", "dzieki", "czesc", "dzien",
    "dobry", "to",
    # fr
    "oui", "reponse", "merci", "svp", "stp", "s", "il", "vous", "plait", "c", "est", "bonjour",
    "salut", "bises",
})


def spoken(word: str) -> int | None:
    """The number a single folded word or digit string says, else None."""
    if word.isascii() and word.isdigit():
        return int(word) if len(word) <= 2 else None
    return WRITTEN.get(word)


def numbers_in(folded: str) -> tuple[list[int], list[str]]:
    """The numbers a folded text holds (digits and written out), and its other words."""
    found, rest = [], []
    for match in TOKEN.finditer(folded):
        word = match.group()
        value = spoken(word)
        if value is not None and _NEGATIVE.search(folded, 0, match.start()):
            found.append(-1)  # "-1": not an answer on any of our scales
        elif value is not None:
            found.append(value)
        elif word.isdigit():
            found.append(-1)  # a number, but not one people answer with (123, Arabic digits)
        else:
            rest.append(word)
    return found, rest


def number_answer(folded: str) -> int | None:
    """The one number a (folded) text answers with, alone or among emoji, punctuation and
    words that add nothing; None otherwise."""
    found, rest = numbers_in(folded)
    if len(set(found)) != 1 or found[0] < 0 or any(word not in FILLERS for word in rest):
        return None
    return found[0]


def digit_among_words(folded: str) -> int | None:
    """The one number a (folded) text holds in digits among any words ("3 not well today"),
    else None. Written-out numbers do not count here: "un peu", "one thing" are not answers."""
    found = {int(word) for word in tokens(folded) if word.isascii() and word.isdigit()}
    return found.pop() if len(found) == 1 else None
