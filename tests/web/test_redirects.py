"""Where a login sends the user next: only to a page of this site, whatever `next` holds."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach.web.redirects import safe_next
from tests.conftest import csrf_token
from tests.factories import PASSWORD


@pytest.mark.parametrize("target", [
    "/clients/\r\nSet-Cookie: session=planted", "/clients/\n", "/\t/evil.example/",
    "/\x00", "/ /evil.example", "//evil.example/x", "/\\evil.example", "https://evil.example/",
    "javascript:alert(1)", "", "clients/",
])
def test_a_next_with_control_characters_or_another_site_goes_to_the_start_page(
        world, client, target):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target}, data={
        "email": world.coordinator.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"


def test_a_next_on_this_site_is_followed(world, client):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": "/clients/?page=2#top"}, data={
        "email": world.coordinator.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/clients/?page=2#top"


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(), st.text(alphabet="/\\:.@ \t\r\n\x00%?#abc").map(lambda t: "/" + t)))
def test_whatever_next_holds_the_answer_is_a_path_of_this_site_or_nothing(target):
    followed = safe_next(target)
    if followed is None:
        return
    assert followed == target
    # Browsers drop tabs and line ends from URLs before reading them: judge what they would.
    seen = "".join(ch for ch in followed if ch not in "\t\r\n")
    parts = urlsplit(seen.replace("\\", "/"))
    assert seen.startswith("/") and not parts.scheme and not parts.netloc
    assert not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in followed)
