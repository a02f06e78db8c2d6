"""Every list declares `limit` and `cursor`, and every list refuses bad values, even one that fits
on one page and so never pages (found by schemathesis: a client's contacts and consents ignored
them)."""

import pytest


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
