"""Logging out of the round on a 360 px phone: nothing of the round stays readable, and visits
not yet sent are sent, kept locked for the same visitor, or deleted, as the visitor chooses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from outreach.db import db
from outreach.enums import OrganisationKind, Role
from tests import factories
from tests.browser.conftest import PHONE, TIMEOUT_MS
from tests.browser.test_visitor import assert_accessible, record, visits_for

KEEPER = ("Agnès Le Feuvre", "Bruno Mauger", "Cécile Renouf", "Didier Hamon")
OTHER = ("Edith Querée",)
DOOR = "Key safe 4711 by the blue door"


@dataclass(frozen=True)
class Walks:
    keeper_email: str
    other_email: str
    keeper_clients: tuple[int, ...]


@pytest.fixture(scope="module")
def walks(site) -> Walks:
    """Two visitors of one operator, each with a round walked every day."""
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Logout Post")
        programme = factories.programme(operator, name="Logout Call & Check")
        made = {}
        for email, names in (("keeper@example.org", KEEPER), ("other@example.org", OTHER)):
            visitor = factories.user(Role.VISITOR, operator, email=email)
            round_ = factories.round_(programme, visitor, name=f"Round of {email}",
                                      weekdays="1,2,3,4,5,6,7")
            clients = []
            for order, name in enumerate(names, start=1):
                client = factories.client(programme, full_name=name, round_id=round_.id,
                                          walk_order=order, access_notes=DOOR,
                                          address=f"{order} Rue des Prés, St Helier JE2 3AB")
                factories.visit_plan(client)
                clients.append(client.id)
            made[email] = tuple(clients)
        db.session.commit()
        db.session.remove()
    return Walks("keeper@example.org", "other@example.org", made["keeper@example.org"])


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized tab. Requests cut off on purpose (offline, or the sync blocked) are
    reported by Chromium as console errors: those are expected, anything else fails."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    expected = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda m: problems.append(f"console error: {m.text}")
           if m.type == "error" and not any(e in m.text for e in expected) else None)
    tab.on("response", lambda r: problems.append(f"{r.status} from {r.url}")
           if r.status >= 500 else None)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "problems in the browser:\n" + "\n".join(problems)


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/round/$"))
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


# What the phone holds, read as any script of the site could.
STORED = """async () => new Promise((resolve) => {
    const open = indexedDB.open('outreach-visitor', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('outbox', {keyPath: 'id'});
    open.onsuccess = () => {
        const all = open.result.transaction('outbox').objectStore('outbox').getAll();
        all.onsuccess = () => resolve(JSON.stringify(all.result.map(item => {
            const plain = {};
            for (const [k, v] of Object.entries(item)) {
                plain[k] = ArrayBuffer.isView(v) ? new TextDecoder('latin1').decode(v) : v;
            }
            return plain;
        })));
    };
})"""
CACHED = """async () => {
    const texts = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            texts.push(request.url + ' ' + await (await cache.match(request)).text());
        }
    }
    return texts.join('\\n');
}"""


KEPT_FORMS = """async () => {
    const cache = await caches.open('visitor-pages');
    const links = [...document.querySelectorAll('a.visit-link')].map(a => a.href);
    const kept = await Promise.all(links.map(url => cache.match(url, {ignoreVary: true})));
    return links.length > 0 && kept.every(Boolean);
}"""


def eventually(page, script: str) -> None:
    """Wait until the async `script` answers true (wait_for_function takes a promise itself
    for a true answer)."""
    for _ in range(TIMEOUT_MS // 100):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def wait_for_forms_kept(page) -> None:
    eventually(page, KEPT_FORMS)


def stored(page) -> list[dict]:
    return json.loads(page.evaluate(STORED))


def assert_nothing_readable(page, names) -> None:
    """No kept page and no queued visit on the phone names a client or says how to get in."""
    eventually(page, "async () => !(await caches.has('visitor-pages'))")
    kept, queued = page.evaluate(CACHED), page.evaluate(STORED)
    for secret in (*names, DOOR, "JE2 3AB"):
        assert secret not in kept + queued, secret
    for secret in ("seen_well", "client_id", "visited_at"):  # the script's own words aside
        assert secret not in queued, secret


def test_offline_logout_keeps_the_unsent_visit_locked_for_the_same_visitor_only(
        phone, live_server, walks, expect, axe):
    page = phone
    log_in(page, walks.keeper_email)
    wait_for_forms_kept(page)

    page.context.set_offline(True)
    record(page, KEEPER[0], "Seen, all well")
    expect(page.get_by_text("Waiting to send: 1")).to_be_visible()
    [locked] = stored(page)  # queued locked: neither the name nor the answers can be read
    assert KEEPER[0] not in json.dumps(locked) and "seen_well" not in json.dumps(locked)

    # Offline, the visitor logs out and is asked; sending needs a network.
    page.get_by_role("button", name="Log out").click()
    dialog = page.get_by_role("dialog", name="1 visit has not been sent yet")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Send them now")).to_be_disabled()
    assert_accessible(page, axe)
    dialog.get_by_role("button", name="Keep them locked until I log in again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logged out on this phone")
    for name in KEEPER:
        expect(page.get_by_text(name)).to_have_count(0)
    assert_nothing_readable(page, KEEPER)
    assert len(stored(page)) == 1  # kept, locked

    # Back online, logging out once more ends the session on the server.
    page.context.set_offline(False)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.goto("/round/").url.endswith("/login?next=%2Fround%2F")

    # Someone else on the same phone can neither read nor send the kept visit.
    log_in(page, walks.other_email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's round")
    expect(page.locator(".outbox")).to_be_hidden()
    expect(page.get_by_text(KEEPER[0])).to_have_count(0)
    assert len(stored(page)) == 1
    assert visits_for(live_server, walks.keeper_clients) == 0
    page.get_by_role("button", name="Log out").click()  # nothing of theirs waits: no question
    page.wait_for_url(re.compile(r"/login$"))
    assert_nothing_readable(page, KEEPER + OTHER)

    # The same visitor again: the kept visit is opened and sent.
    log_in(page, walks.keeper_email)
    expect(page.get_by_text("Waiting to send: 0")).to_be_visible()
    assert visits_for(live_server, walks.keeper_clients[:1]) == 1
    assert stored(page) == []


def test_the_question_sends_cancels_or_deletes_what_waits(phone, live_server, walks, expect):
    page = phone
    log_in(page, walks.keeper_email)
    wait_for_forms_kept(page)

    # Online, but the visits cannot get through for now: one waits.
    page.route("**/round/visits", lambda route: route.abort())
    record(page, KEEPER[1], "No answer")
    expect(page.get_by_text("Waiting to send: 1")).to_be_visible()
    page.unroute("**/round/visits")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("dialog").get_by_role("button", name="Send them now").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert visits_for(live_server, walks.keeper_clients[1:2]) == 1
    assert stored(page) == []

    log_in(page, walks.keeper_email)
    wait_for_forms_kept(page)
    page.context.set_offline(True)
    record(page, KEEPER[2], "Away")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel, stay logged in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's round")
    expect(page.get_by_text("Waiting to send: 1")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("dialog").get_by_role("button",
                                           name="Delete them (they will be lost)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logged out on this phone")
    assert stored(page) == []
    assert_nothing_readable(page, KEEPER)
    page.context.set_offline(False)
    assert visits_for(live_server, walks.keeper_clients[2:3]) == 0
