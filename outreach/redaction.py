"""Contact details taken out of free-text notes before they leave the system.

Staff write notes for each other ("rang her son on 07700 900123", "new address: 12 rue Haute,
75001 Paris"); partner reports, Atom entries, webhooks and FHIR Tasks carry those notes to
people and systems with no need of a relative's number, an email address or where someone
lives. `redact_contact_details` is the one rule every such route applies.

Ordinary numbers stay: doses ("3 tablets", "500 mg"), dates (12/03/2024, 2024-03-12,
12.03.2024), times (14:30, 9h30) and short counts are kept; a phone number needs at least seven
digits (six right after a word such as "tel." or "ring").
"""

from __future__ import annotations

import re

PHONE = "[phone]"
EMAIL = "[email]"
POSTCODE = "[postcode]"

_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
# Dates and times are matched before phone numbers and kept, so a run of digits that is a date
# is never read as a number to ring.
_DATE = (r"\d{4}-\d{1,2}-\d{1,2}(?!\d)"
         r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![\d./-]\d)")
_TIME = r"\d{1,2}[:h]\d{2}(?!\d)"
# UK (Jersey's JE2 3AB included): outward code, optional space, inward code.
_UK = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}"
# Portugal 1000-001 and Poland 00-950: fixed shapes with a dash.
_PT_PL = r"\d{4}-\d{3}|\d{2}-\d{3}"
# France (and the like): five digits, only where an address goes on to name its town.
_FR = r"\d{5}(?=\s+(?-i:[A-ZÀ-Ý]|CEDEX))"
# A phone number: an optional + or (area code), then digits in groups separated by spaces,
# dashes, dots or brackets; a date or time after a space ends it.
_PHONE = (r"(?:\+|\(\+?\d{1,5}\)[\s\-.]{0,3})?\d"
          rf"(?:[\s\-.()]{{0,3}}(?!(?<=\s)(?:{_DATE}|{_TIME}))\d)+")
_CUE = (r"(?:tel|tél|téléphone|telefone|telefon|tlm|phone|mobile|mob|ring|call|portable"
        r"|numéro|número|nr|numer|no)\.?:?\s*")

_PATTERN = re.compile(
    rf"(?P<email>{_EMAIL})"
    rf"|(?<![\w@])(?:(?P<date>{_DATE})|(?P<time>{_TIME}))"
    rf"|(?<![\w@])(?P<postcode>{_UK}|{_PT_PL})(?![\w-]|-\d)"
    rf"|(?<![\w@])(?P<town>{_FR})"
    rf"|(?<![\w@+])(?P<cue>{_CUE})?(?!{_DATE}|{_TIME})(?P<phone>{_PHONE})(?![\w@])",
    re.IGNORECASE,
)


def _replace(match: re.Match) -> str:
    if match["email"]:
        return EMAIL
    if match["date"] or match["time"]:
        return match[0]
    if match["postcode"]:
        return POSTCODE
    if match["town"]:
        return POSTCODE
    digits = sum(ch.isdigit() for ch in match["phone"])
    cue = match["cue"] or ""
    if digits >= 7 or (digits >= 6 and cue):
        return f"{cue}{PHONE}"
    return match[0]


def redact_contact_details(text: str | None) -> str:
    """`text` with phone numbers, email addresses and postcodes replaced by a marker."""
    if not text:
        return text or ""
    return _PATTERN.sub(_replace, text)


NOTE_KEYS = frozenset({"note", "outcome_note", "description", "text", "valueString"})


def redact_notes(value):
    """A copy of a serialised document (dicts and lists) with every note-like string redacted:
    the values under `NOTE_KEYS`, at any depth."""
    if isinstance(value, dict):
        return {key: redact_contact_details(item) if key in NOTE_KEYS and isinstance(item, str)
                else redact_notes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_notes(item) for item in value]
    return value
