"""The load test's plan: the numbers its simulated clients text from."""

import re

import phonenumbers

from outreach.bench.load.plan import fictional_numbers

UK_FICTION = re.compile(r"^\+447700900\d{3}$")  # Ofcom's drama range
NANP_FICTION = re.compile(r"^\+1[2-9]\d{2}55501\d{2}$")  # 555-0100 to 555-0199


def test_every_number_is_reserved_for_fiction_and_used_once():
    numbers = fictional_numbers(6000)

    assert len(numbers) == 6000
    assert len(set(numbers)) == 6000
    assert sum(bool(UK_FICTION.match(n)) for n in numbers) == 1000
    others = [n for n in numbers if not UK_FICTION.match(n)]
    assert all(NANP_FICTION.match(n) for n in others)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in others)


def test_a_small_plan_takes_the_uk_numbers_first():
    assert fictional_numbers(3) == ["+447700900000", "+447700900001", "+447700900002"]
