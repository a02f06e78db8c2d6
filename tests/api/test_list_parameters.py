"""Every list declares `limit` and `cursor`, and every list refuses bad values, even one that fits
on one page and so never pages (found by schemathesis: a client's contacts and consents ignored
them)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach.api.core import CURSOR_MAX_LENGTH, CURSOR_PATTERN, decode_cursor, encode_cursor
from outreach.errors import APIError
from outreach.schemas import MAX_ID


@pytest.mark.parametrize("path", ["/clients/{id}/contacts", "/clients/{id}/consents"])
@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "cursor=%21%21"])
def test_one_page_lists_refuse_bad_paging_as_paged_lists_do(world, api_as, path, query):
    """The same 4xx, in the error format, as a list that pages (/clients) answers."""
    api = api_as(world.coordinator)
    paged = api.get("/clients?" + query)
    assert 400 <= paged.status_code < 500
    answer = api.get(path.format(id=world.client_on_round.id) + "?" + query)
    assert answer.status_code == paged.status_code, answer.get_json()
    assert answer.get_json()["error"]["code"] == paged.get_json()["error"]["code"]
    assert api.get(path.format(id=world.client_on_round.id) + "?limit=5").status_code == 200


@settings(max_examples=60, deadline=None, database=None)
@given(st.from_regex(CURSOR_PATTERN, fullmatch=True).filter(lambda s: len(s) <= CURSOR_MAX_LENGTH))
def test_the_documented_cursor_form_is_exactly_what_the_server_takes(raw):
    """Every cursor of the documented form is read, and the server makes only such cursors."""
    after = decode_cursor(raw)
    assert 0 <= after <= MAX_ID
    if raw:
        assert re.fullmatch(CURSOR_PATTERN, encode_cursor(after))


@pytest.mark.parametrize("raw", ["MQ\n", "MQ!", "M", "MQ=", "AAAA", "LQ"])
def test_cursors_outside_the_documented_form_are_refused(ctx, raw):
    """Not of the form (a trailing newline, padding, a non-digit such as '-'): a 400."""
    with pytest.raises(APIError):
        decode_cursor(raw)
