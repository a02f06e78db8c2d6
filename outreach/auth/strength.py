"""Which passwords are refused, following the NCSC's guidance: long enough, not common or
guessable (zxcvbn's estimate, which knows the common-password lists and keyboard walks, and is
told the person's own email and name), and no composition rules (no "one capital, one digit").
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's score 3: about 10^8 guesses or more, "safely unguessable" for an online attack and
# well past every common-password list.
MIN_SCORE = 3
# zxcvbn's time grows with the length; beyond this a password is long enough to judge by its
# start (and a long one is rarely weak).
JUDGED_LENGTH = 100
# Words anyone attacking this service would try first.
SERVICE_WORDS = ("outreach", "check-in", "checkin", "call and check", "jersey", "postal")


def problems(password: str, *, email: str = "", full_name: str = "") -> list[str]:
    """What is wrong with `password` for this person, in plain words (empty: acceptable)."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters: a few unrelated words are easy to "
                "remember."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if email and password.strip().lower() == email.strip().lower():
        return ["Do not use your email address as your password."]
    own = _personal_words(email, full_name)
    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=[*own, *SERVICE_WORDS])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"]["warning"]
        reason = f" ({warning.rstrip('.')})" if warning else ""
        return [f"This password is too easy to guess{reason}. Try three or four unrelated "
                "words."]
    if _one_word_dressed_up(result["sequence"]):
        return ["This password is one common word with numbers or symbols added, which is "
                "among the first things guessed. Try three or four unrelated words."]
    # zxcvbn rates three known pieces in a row (ana + pereira + 1930) as strong: judge what is
    # left once the person's own words are taken out.
    rest = password[:JUDGED_LENGTH].lower()
    for word in sorted(own, key=len, reverse=True):
        rest = rest.replace(word, "")
    if len(rest) < len(password[:JUDGED_LENGTH]) and zxcvbn(rest)["score"] < MIN_SCORE:
        return ["Do not build your password from your own name or email address. Try three or "
                "four unrelated words."]
    return []


def _personal_words(email: str, full_name: str) -> list[str]:
    """The person's own words an attacker would try: their email, its parts, their names."""
    local = email.split("@", 1)[0]
    words = [email, local, *re.split(r"[._+\-]+", local), *re.split(r"[\s.\-']+", full_name)]
    return list(dict.fromkeys(w.lower() for w in words if len(w) >= 3))


def _one_word_dressed_up(sequence: list[dict]) -> bool:
    """Whether the password is at most one dictionary word plus decorations (a year, a date,
    a run like 123, a repeat, a symbol or two): what cracking rules try first, though zxcvbn
    rates three such pieces in a row (admin + 2024 + !) as strong."""
    words = 0
    for piece in sequence:
        if piece["pattern"] == "dictionary":
            words += 1
        elif piece["pattern"] == "bruteforce" and not _decoration(piece["token"]):
            return False  # something no list holds
    return words <= 1


def _decoration(token: str) -> bool:
    """A character or two, or a few digits and symbols (2024!): what people add to a word."""
    return len(token) <= 2 or (len(token) <= 6 and not any(c.isalpha() for c in token))
