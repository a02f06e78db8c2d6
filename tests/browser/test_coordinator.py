"""The coordinator's escalation pages in a real browser, on a 360 px phone and a 1280 px
desktop: the overview (overdue first, in red), the routing-rules editor (a rule added through
the form, and its errors), and the client's history; each checked with axe-core and for
sideways scrolling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from outreach.db import db, utcnow
from outreach.enums import EscalationOutcome, EscalationStatus
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.test_pages import SERIOUS, WIDE_ELEMENTS, _describe, log_in

DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class EscalationSeed:
    """Plain values about the escalations made for these tests."""

    programme_id: int
    late_name: str
    urgent_name: str
    history_client_id: int


@pytest.fixture(scope="module")
def escalation_seed(site) -> EscalationSeed:
    """Three clients of the seeded programme with escalations: one left unacknowledged for
    hours, one urgent still in time, and one with a resolved history."""
    seed = site.seed
    with site.app.app_context():
        programme = db.session.scalar(db.select(Programme).where(
            Programme.name == seed.programme_name))
        gp = db.session.scalar(db.select(Organisation).where(Organisation.name == seed.gp_name))
        food = factories.organisation(name="St Helier Food Bank", kind="community")
        now = utcnow()
        late = factories.client(programme, full_name="Gwendoline Le Marquand")
        urgent = factories.client(programme, full_name="Édouard Pallot")
        history = factories.client(programme, full_name="Rosalie Bisson")
        factories.escalation(late, food, severity="routine", created_at=now - timedelta(days=4),
                             due_at=now - timedelta(hours=3),
                             routed_because="No contact could be told (no designated contact "
                                            "takes alerts).")
        factories.escalation(urgent, gp, category="pain_or_illness", severity="urgent",
                             created_at=now, due_at=now + timedelta(minutes=55))
        factories.escalation(history, gp, category="medication", created_at=now - timedelta(
            days=20), status=EscalationStatus.RESOLVED, outcome=EscalationOutcome.HELPED,
            acknowledged_at=now - timedelta(days=19), resolved_at=now - timedelta(days=18))
        factories.escalation(history, food, created_at=now - timedelta(hours=1))
        db.session.commit()
        made = EscalationSeed(programme_id=programme.id, late_name=late.full_name,
                              urgent_name=urgent.full_name, history_client_id=history.id)
        db.session.remove()
    return made


@pytest.fixture(params=["phone", "desktop"])
def viewport(request, page):
    """Each test runs on the phone, then on a desktop-wide window."""
    size = PHONE if request.param == "phone" else DESKTOP
    page.set_viewport_size(size)
    return size


def check_page(page, axe, width: int) -> None:
    """One h1, no serious or critical axe findings, and nothing wider than the window."""
    assert page.locator("h1").count() == 1
    violations = axe.run(page).response["violations"]
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, (f"axe found serious or critical problems on {page.url}:\n"
                         + _describe(serious))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{page.url} scrolls sideways at {width} px (scrollWidth {scroll_width}):\n"
        + "\n".join(page.evaluate(WIDE_ELEMENTS, width)))


def test_overview_shows_overdue_first_in_red(page, live_server, escalation_seed, expect, axe,
                                             viewport):
    log_in(page, live_server.seed.coordinator_email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    box = page.locator("#overdue-escalations")
    expect(box).to_contain_text("overdue escalation")
    box.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/escalations/\?overdue=1$"))
    expect(page.get_by_text(escalation_seed.late_name)).to_be_visible()
    expect(page.get_by_text(escalation_seed.urgent_name)).to_have_count(0)

    page.get_by_role("navigation").get_by_role("link", name="Escalations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")
    rows = page.locator("ul.escalations > li")
    first = rows.first
    expect(first).to_contain_text(escalation_seed.late_name)
    expect(first).to_contain_text("Not acknowledged in time: overdue by 3 h")
    colour = first.locator(".error").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(176, 0, 32)"  # the red of the house style
    later = rows.filter(has_text=escalation_seed.urgent_name)
    expect(later).to_contain_text("Urgent")
    check_page(page, axe, viewport["width"])

    page.get_by_label("Urgency").select_option(label="Urgent")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"severity=urgent"))
    expect(page.get_by_text(escalation_seed.late_name)).to_have_count(0)
    expect(page.get_by_text(escalation_seed.urgent_name)).to_be_visible()


def test_add_a_routing_rule_through_the_form(page, live_server, escalation_seed, expect, axe,
                                             viewport):
    log_in(page, live_server.seed.coordinator_email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto("/escalations/")
    page.get_by_role("link", name=live_server.seed.programme_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Routing rules")
    expect(page.locator("ul.rules > li").first).to_contain_text("Any concern · Any urgency")
    check_page(page, axe, viewport["width"])

    page.get_by_role("link", name="Add a rule").click()
    check_page(page, axe, viewport["width"])
    page.get_by_role("button", name="Save rule").click()  # nothing chosen: explained
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one recipient")
    check_page(page, axe, viewport["width"])

    # Each viewport adds its own rule: the programme keeps one per kind and urgency.
    severity = "Urgent" if viewport is PHONE else "Routine"
    page.get_by_label("Kind of concern").select_option(label="Money")
    page.get_by_label("Urgency").select_option(label=severity)
    page.get_by_role("group", name="Told first").get_by_label("The coordinator").check()
    fallback = page.get_by_role("group", name="If nobody acknowledges in time, tell")
    fallback.get_by_label("The client's designated contacts").check()
    acknowledge = page.get_by_role("group", name="Time to acknowledge")
    acknowledge.get_by_label("Within").fill("2")
    acknowledge.get_by_label("Unit").select_option("hours")
    page.get_by_role("button", name="Save rule").click()

    expect(page.get_by_role("status")).to_contain_text("Routing rule saved")
    added = page.locator("ul.rules > li").filter(has_text=f"Money · {severity}")
    expect(added).to_contain_text("within 2 hours")
    expect(added).to_contain_text("The client's designated contacts")
    check_page(page, axe, viewport["width"])


def test_client_history_section(page, live_server, escalation_seed, expect, axe, viewport):
    log_in(page, live_server.seed.coordinator_email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto(f"/clients/{escalation_seed.history_client_id}")
    section = page.locator("#escalations")
    expect(section.get_by_role("heading")).to_have_text("Concerns and escalations")
    items = section.locator("li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Food or shopping")
    expect(items.last).to_contain_text("Resolved")
    section.scroll_into_view_if_needed()
    check_page(page, axe, viewport["width"])
