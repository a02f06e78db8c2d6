"""Notes leave the system without phone numbers, email addresses or postcodes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach.redaction import EMAIL, PHONE, POSTCODE, redact_contact_details, redact_notes

# Notes as a partner's or coordinator's staff write them, in the four languages.
NOTES = [
    ("Rang her son on 07700 900123; he will call back at 14:30. Gave 3 tablets.",
     f"Rang her son on {PHONE}; he will call back at 14:30. Gave 3 tablets."),
    ("Daughter Anne: +44 (0)7700 900-123, anne.smith@example.co.uk. Moved to 4 Rue des Prés, "
     "St Helier JE2 3AB on 12/03/2026.",
     f"Daughter Anne: {PHONE}, {EMAIL}. Moved to 4 Rue des Prés, St Helier {POSTCODE} on "
     "12/03/2026."),
    ("Neighbour's landline (01534) 862000, key with her at SW1A 1AA flat 2.",
     f"Neighbour's landline {PHONE}, key with her at {POSTCODE} flat 2."),
    ("Filha Maria: +351 912 345 678 ou maria.silva@sapo.pt. Nova morada: Rua Augusta 10, "
     "1000-001 Lisboa. Tomar 2 comprimidos às 9:00.",
     f"Filha Maria: {PHONE} ou {EMAIL}. Nova morada: Rua Augusta 10, {POSTCODE} Lisboa. "
     "Tomar 2 comprimidos às 9:00."),
    ("Córka prosi o kontakt: tel. 601-234-567 lub +48 22 123 45 67, jan.nowak@wp.pl. "
     "Adres: ul. Marszałkowska 1, 00-950 Warszawa. Wizyta 12.03.2026 o 10:15, 2 tabletki.",
     f"Córka prosi o kontakt: tel. {PHONE} lub {PHONE}, {EMAIL}. "
     f"Adres: ul. Marszałkowska 1, {POSTCODE} Warszawa. Wizyta 12.03.2026 o 10:15, 2 tabletki."),
    ("Son fils a appelé du 06 12 34 56 78 (ou 06.12.34.56.78, +33 6 12 34 56 78). Nouvelle "
     "adresse : 12 rue de la Paix, 75001 Paris. RDV le 2026-03-12 à 9h30, 500 mg.",
     f"Son fils a appelé du {PHONE} (ou {PHONE}, {PHONE}). Nouvelle adresse : 12 rue de la "
     f"Paix, {POSTCODE} Paris. RDV le 2026-03-12 à 9h30, 500 mg."),
]


@pytest.mark.parametrize(("note", "expected"), NOTES)
def test_realistic_notes_lose_numbers_emails_and_postcodes_only(note, expected):
    assert redact_contact_details(note) == expected


@pytest.mark.parametrize("kept", [
    "Take 3 tablets twice a day", "500 mg at 08:00 and 20:00", "Seen on 2026-03-12 at 9h30",
    "Visited 12/03/2026 and 12.03.26", "Pension of £1,250.00 a month", "Room 12, floor 3",
    "BP 140/90, pulse 72", "Fell 2 times since 10 March", "12345 tablets in stock",
    "", "Called at 10:30, no answer",
])
def test_ordinary_numbers_dates_and_times_are_kept(kept):
    assert redact_contact_details(kept) == kept


@st.composite
def phone_numbers(draw) -> str:
    """A phone number as people write one: national or international, grouped any way, the
    first group (the area code) perhaps in brackets."""
    digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=11)))
    sizes = draw(st.sampled_from([(3, 3, 5), (4, 3, 4), (5, 6), (2, 2, 2, 2, 3), (11,)]))
    groups, at = [], 0
    for size in sizes:
        if at < len(digits):
            groups.append(digits[at:at + size])
            at += size
    if draw(st.booleans()) and len(groups) > 1:
        groups[0] = f"({groups[0]})"
    separator = draw(st.sampled_from([" ", "-", ".", " - "]))
    prefix = draw(st.sampled_from(["", "+44 ", "+351 ", "+48 ", "+33 ", "0044 ", "+44 (0)"]))
    return prefix + separator.join(groups)


emails = st.builds("{}.{}@{}.{}".format,
                   st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                   st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
                   st.from_regex(r"[a-z]{2,10}", fullmatch=True),
                   st.sampled_from(["com", "co.uk", "pt", "pl", "fr", "je"]))
words = st.lists(st.sampled_from(
    ["visited", "her", "son", "ring", "seen", "well", "obrigada", "dziękuję", "merci", "and", "at",
     "3 tablets", "500 mg", "14:30", "9h30", "12/03/2026", "2026-03-12", "12.03.2026", "x2",
     "room 12", "on 5 May", "—", "(ok)", "1,250"]), max_size=6).map(" ".join)


@settings(max_examples=60, deadline=None, database=None)
@given(before=words, secret=st.one_of(phone_numbers(), emails), after=words)
def test_any_phone_number_or_email_in_any_text_is_removed(before, secret, after):
    redacted = redact_contact_details(f"{before} {secret} {after}")
    digits = re.sub(r"\D", "", secret)
    assert secret not in redacted
    if "@" in secret:
        assert EMAIL in redacted
    else:
        assert PHONE in redacted and digits not in re.sub(r"\D", "", redacted)


@settings(max_examples=60, deadline=None, database=None)
@given(text=words)
def test_text_of_ordinary_numbers_dates_and_times_survives(text):
    assert redact_contact_details(text) == text


def test_a_serialised_document_loses_contact_details_in_its_notes_only():
    document = {"note": "ring 07700 900123", "client": {"phone": "+447700900123",
                                                        "address": "1 Rue, JE2 3AB"},
                "escalation": {"outcome_note": "emailed a@b.com",
                               "needs": [{"description": "son 07700900124"}]}}
    assert redact_notes(document) == {
        "note": f"ring {PHONE}", "client": {"phone": "+447700900123",
                                            "address": "1 Rue, JE2 3AB"},
        "escalation": {"outcome_note": f"emailed {EMAIL}",
                       "needs": [{"description": f"son {PHONE}"}]}}
