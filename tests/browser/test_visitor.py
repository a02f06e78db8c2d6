"""The visitor's round and check-in form in a real browser on a 360 px phone: online, offline
with a reload, and back online, where each queued visit is stored exactly once."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from outreach.db import db
from outreach.enums import OrganisationKind, Role
from outreach.visits.models import Visit
from tests import factories
from tests.browser.conftest import PHONE, TIMEOUT_MS

SERIOUS = ("serious", "critical")
NAMES = ("Amélie Le Brocq", "Bernard Pallot", "Colette Vautier", "Denis Gallichan")


@dataclass(frozen=True)
class Walk:
    visitor_email: str
    client_ids: tuple[int, ...]


@pytest.fixture(scope="module")
def walk(site) -> Walk:
    """A visitor with a round walked every day, four clients due daily and a prescription."""
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Browser Post")
        programme = factories.programme(operator, name="Browser Call & Check")
        visitor = factories.user(Role.VISITOR, operator, email="walker@example.org")
        round_ = factories.round_(programme, visitor, name="Gorey Village",
                                  weekdays="1,2,3,4,5,6,7")
        clients = []
        for order, name in enumerate(NAMES, start=1):
            client = factories.client(programme, full_name=name, round_id=round_.id,
                                      walk_order=order, access_notes=f"Door {order}, knock loudly")
            factories.visit_plan(client)
            clients.append(client)
        factories.prescription(clients[0], description="Blister pack, week 12")
        db.session.commit()
        made = Walk(visitor.email, tuple(c.id for c in clients))
        db.session.remove()
    return made


@pytest.fixture
def phone(browser, live_server):
    """Like the suite's `page`, for a test that cuts the network on purpose.

    A service worker tries the network before its cache, and Chromium reports each attempt
    made while offline as a console error; those are expected here, anything else still fails.
    """
    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("response", lambda r: problems.append(f"{r.status} from {r.url}")
           if r.status >= 400 else None)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda m: problems.append(f"console error: {m.text}")
           if m.type == "error" and "net::ERR_INTERNET_DISCONNECTED" not in m.text else None)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "problems in the browser:\n" + "\n".join(problems)


def visits_for(live_server, client_ids) -> int:
    with live_server.app.app_context():
        found = db.session.scalar(select(func.count()).select_from(Visit).where(
            Visit.client_id.in_(client_ids)))
        db.session.remove()
        return found


def assert_accessible(page, axe) -> None:
    violations = axe.run(page).response["violations"]
    serious = [v["id"] for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe found serious or critical problems on {page.url}: {serious}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def wait_for_forms_kept(page, count: int) -> None:
    """Wait until the phone holds the form of every stop still to visit."""
    page.wait_for_function("""async (count) => {
        const cache = await caches.open('visitor-pages');
        const links = [...document.querySelectorAll('a.visit-link')].map(a => a.href);
        const kept = await Promise.all(links.map(url => cache.match(url, {ignoreVary: true})));
        return links.length === count && kept.every(Boolean);
    }""", arg=count)


def record(page, name: str, outcome: str) -> None:
    # The round page must have finished loading (it is served by the service worker when
    # offline) before its link is followed.
    page.get_by_role("heading", level=1, name="Today's round").wait_for()
    page.wait_for_load_state("load")
    page.get_by_role("link", name=f"Record visit for {name}").click()
    try:
        page.get_by_role("heading", level=1, name=name).wait_for(timeout=3 * TIMEOUT_MS)
    except Exception as exc:  # say what the phone showed instead, to tell a slow page from a gap
        shown = page.locator("body").inner_text()[:500]
        kept = page.evaluate("""async () => {
            const cache = await caches.open('visitor-pages');
            return (await cache.keys()).map(r => r.url);
        }""")
        online = page.evaluate("navigator.onLine")
        raise AssertionError(f"no form for {name} at {page.url} (navigator.onLine={online}); "
                             f"the page showed: {shown}; the phone kept: {kept}") from exc
    page.get_by_label(outcome).check()
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"/round/$"))


def test_round_form_and_offline_sync(phone, live_server, walk, expect, axe):
    page = phone
    page.goto("/login")
    page.get_by_label("Email").fill(walk.visitor_email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # A visitor starts on today's round.
    expect(page).to_have_url(re.compile(r"/round/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's round")
    stops = page.locator(".stop h3")
    expect(stops).to_have_text(list(NAMES))
    expect(page.get_by_text("Deliver: Blister pack, week 12")).to_be_visible()
    expect(page.get_by_text("Door 1, knock loudly")).to_be_visible()
    assert_accessible(page, axe)
    # The SQLite test server handles one write at a time: let the phone keep the day's forms
    # before tapping through, as it would do while the visitor walks to the first door.
    wait_for_forms_kept(page, 4)

    # Online: the form, checked for accessibility, then a visit stored straight away.
    page.get_by_role("link", name=f"Record visit for {NAMES[0]}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAMES[0])
    assert_accessible(page, axe)
    page.get_by_label("Seen, all well").check()
    page.get_by_role("group", name="Have you felt lonely?").get_by_label("Often").check()
    page.get_by_label(re.compile("^Prescription handed over")).check()
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"/round/$"))
    expect(page.locator(".stop").first.get_by_text("Done: Seen, all well")).to_be_visible()
    assert visits_for(live_server, walk.client_ids) == 1

    # The service worker controls the page and has kept the round and the day's forms.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    wait_for_forms_kept(page, 3)

    page.context.set_offline(True)
    for name, outcome in zip(NAMES[1:], ("Seen, all well", "No answer", "Away"), strict=True):
        record(page, name, outcome)
    expect(page.get_by_text("Waiting to send: 3")).to_be_visible()
    expect(page.locator("#outbox-list li")).to_have_count(3)
    assert visits_for(live_server, walk.client_ids) == 1

    page.reload()  # served by the service worker from its cache
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's round")
    expect(page.get_by_text("Waiting to send: 3")).to_be_visible()

    page.context.set_offline(False)
    expect(page.get_by_text("Waiting to send: 0")).to_be_visible()
    assert visits_for(live_server, walk.client_ids) == 4
    page.reload()
    expect(page.get_by_text("Done:")).to_have_count(4)
    assert page.evaluate("""async () => new Promise((resolve) => {
        const open = indexedDB.open('outreach-visitor', 1);
        open.onsuccess = () => {
            const all = open.result.transaction('outbox').objectStore('outbox').getAll();
            all.onsuccess = () => resolve(all.result.length);
        };
    })""") == 0
    assert visits_for(live_server, walk.client_ids) == 4


def test_visitor_asks_the_wellbeing_questions_at_360px(page, live_server, expect, axe):
    """A client never asked is due: the visitor opens the section, records two answers and
    the visit and its measure are stored together, sent by the phone's queue."""
    from outreach.evaluation.models import MeasureSource, OutcomeMeasure

    with live_server.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Wellbeing Post")
        programme = factories.programme(operator, name="Wellbeing Call & Check")
        visitor = factories.user(Role.VISITOR, operator, email="asker@example.org")
        round_ = factories.round_(programme, visitor, name="Rozel", weekdays="1,2,3,4,5,6,7")
        person = factories.client(programme, full_name="Édith Romeril", round_id=round_.id,
                                  walk_order=1)
        factories.visit_plan(person)
        db.session.commit()
        client_id = person.id
        db.session.remove()

    page.goto("/login")
    page.get_by_label("Email").fill("asker@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/round/$"))
    page.get_by_role("link", name="Record visit for Édith Romeril").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Édith Romeril")
    page.get_by_text("Every 3 months: how Édith is feeling").click()
    lonely = page.get_by_role("group", name="How often do you feel that you lack companionship?")
    expect(lonely).to_be_visible()
    assert_accessible(page, axe)
    often = lonely.locator(".check").filter(has_text="Often")
    assert often.bounding_box()["height"] >= 44  # a thumb-sized target on the phone
    page.get_by_label("Seen, all well").check()
    often.get_by_label("Often").check()
    page.get_by_role("group", name="Overall, how anxious did you feel yesterday?").get_by_label(
        "2", exact=True).check()
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"/round/$"))
    expect(page.get_by_text("Done: Seen, all well")).to_be_visible()
    with live_server.app.app_context():
        [measure] = db.session.scalars(select(OutcomeMeasure).where(
            OutcomeMeasure.client_id == client_id)).all()
        visit = db.session.scalar(select(Visit).where(Visit.client_id == client_id))
        assert (measure.visit_id, measure.source) == (visit.id, MeasureSource.VISIT)
        assert (measure.ucla_companionship, measure.ons_anxious) == (3, 2)
        assert measure.completed_at is None  # two answers of seven
        db.session.remove()
    # Asked: the form (fetched afresh, the phone being online) no longer shows the section.
    page.goto(f"/round/visit/{client_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Édith Romeril")
    expect(page.get_by_text("Every 3 months")).to_have_count(0)


def test_coordinator_sees_the_answers_and_records_by_telephone_at_360px(page, live_server,
                                                                         expect, axe):
    """The office's side of the same measures: the panel fits a phone, is axe clean with its
    table and open form, and a telephone answer is recorded from it."""
    from outreach.evaluation.models import MeasureSource, OutcomeMeasure
    from tests.evaluation.factories import outcome_measure

    with live_server.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Panel Post")
        programme = factories.programme(operator, name="Panel Call & Check")
        coordinator = factories.user(Role.COORDINATOR, operator, email="office@example.org")
        person = factories.client(programme, full_name="Noël Le Cornu")
        outcome_measure(person)
        outcome_measure(person, "satisfaction", "sms", answers={"satisfaction": None},
                        awaiting="satisfaction")
        db.session.commit()
        client_id, coordinator_email = person.id, coordinator.email
        db.session.remove()

    page.goto("/login")
    page.get_by_label("Email").fill(coordinator_email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/clients/{client_id}")
    panel = page.locator("#measures")
    expect(panel.get_by_role("heading", name="Loneliness and wellbeing")).to_be_visible()
    expect(panel.get_by_role("row")).to_have_count(3)  # a header and two askings
    page.get_by_text("Record loneliness and wellbeing answers taken by telephone").click()
    assert_accessible(page, axe)
    form = panel.locator("form").first
    form.get_by_role("group", name="Overall, how happy did you feel yesterday?").get_by_label(
        "8", exact=True).check()
    form.get_by_role("button", name="Record answers").click()
    expect(page.get_by_text("Answers recorded.")).to_be_visible()
    expect(panel.get_by_role("row")).to_have_count(4)
    with live_server.app.app_context():
        newest = db.session.scalars(select(OutcomeMeasure).where(
            OutcomeMeasure.client_id == client_id).order_by(OutcomeMeasure.id.desc())).first()
        assert (newest.source, newest.ons_happy) == (MeasureSource.WEB, 8)
        db.session.remove()
