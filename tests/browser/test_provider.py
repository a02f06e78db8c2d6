"""The provider's queue and escalation page in a real browser on a 360 px phone: log in, see
the queue overdue first, acknowledge in two taps, resolve with an outcome and a rating; every
page checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from outreach.db import db, utcnow
from outreach.enums import (
    ConsentPurpose,
    EscalationOutcome,
    EscalationStatus,
    OrganisationKind,
    Role,
)
from outreach.escalations.models import Escalation
from tests import factories
from tests.browser.conftest import PHONE

SERIOUS = ("serious", "critical")


@dataclass(frozen=True)
class Surgery:
    provider_email: str
    coordinator_email: str
    late_name: str
    calm_name: str
    late_id: int
    calm_id: int


@pytest.fixture(scope="module")
def surgery(site) -> Surgery:
    """A GP practice with two escalations in its queue: one overdue, one not yet due."""
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Queue Test Post")
        programme = factories.programme(operator, name="Queue Test Call & Check")
        practice = factories.organisation(OrganisationKind.HEALTH, name="Les Quennevais Surgery")
        provider = factories.user(Role.PROVIDER, practice, email="reception@quennevais.example")
        coordinator = factories.user(Role.COORDINATOR, operator,
                                     email="coordinator@queuetest.example")
        late = factories.client(programme, full_name="Yvonne Le Cornu",
                                address="4 Rue du Moulin, St Peter")
        calm = factories.client(programme, full_name="Raymond Poingdestre",
                                address="9 La Route de la Haule, St Aubin")
        late_need = factories.need(late, "medication", "urgent",
                                   description="Has run out of her heart tablets",
                                   created_at=utcnow() - timedelta(hours=3))
        late_escalation = factories.escalation(late, practice, need=late_need)
        calm_escalation = factories.escalation(calm, practice, category="pain_or_illness",
                                               severity="routine")
        daughter = factories.contact(calm, name="Janet Poingdestre")
        factories.consent(calm)
        factories.consent(calm, ConsentPurpose.SHARE_INFORMATION, contact_id=daughter.id)
        db.session.commit()
        made = Surgery(provider.email, coordinator.email, late.full_name, calm.full_name,
                       late_escalation.id, calm_escalation.id)
        db.session.remove()
    return made


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def assert_accessible(page, axe) -> None:
    violations = axe.run(page).response["violations"]
    serious = [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations
               if v["impact"] in SERIOUS]
    assert not serious, f"axe found serious or critical problems on {page.url}: {serious}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width} px)"


def escalation(live_server, escalation_id: int) -> Escalation:
    with live_server.app.app_context():
        found = db.session.get(Escalation, escalation_id)
        db.session.expunge(found)
        db.session.remove()
    return found


def test_provider_acknowledges_in_two_taps_and_resolves(page, live_server, surgery, expect,
                                                        axe):
    log_in(page, surgery.provider_email)
    page.get_by_role("navigation").get_by_role("link", name="My queue").click()
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your queue")
    rows = page.locator("ul.queue > li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(surgery.late_name)  # overdue first
    expect(rows.first).to_contain_text("Overdue by")
    expect(rows.first).to_have_class(re.compile(r"\bflagged\b"))
    expect(rows.nth(1)).to_contain_text("Acknowledge within")
    assert_accessible(page, axe)

    # Tap one: the row. Tap two: acknowledge.
    page.get_by_role("link", name=re.compile(surgery.late_name)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Medication: {surgery.late_name}")
    expect(page.get_by_text("Has run out of her heart tablets")).to_be_visible()
    assert_accessible(page, axe)
    page.get_by_role("button", name="Acknowledge: I will deal with this").click()
    expect(page.get_by_role("status")).to_have_text("Acknowledged: it is yours to deal with now.")
    assert escalation(live_server, surgery.late_id).status == EscalationStatus.ACKNOWLEDGED

    # Resolving without saying what happened is refused, and says what is missing.
    page.get_by_role("button", name="Resolve", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("It is not resolved yet")
    expect(summary).to_contain_text("Say what happened before resolving.")
    expect(summary).to_contain_text("Rate how useful this referral was")
    expect(summary).to_be_focused()
    assert_accessible(page, axe)
    assert escalation(live_server, surgery.late_id).status == EscalationStatus.ACKNOWLEDGED

    page.get_by_label("What happened").select_option(label="Helped: the need was met")
    page.get_by_role("group", name=re.compile("How useful")).get_by_label(
        "4", exact=True).check()
    page.get_by_label("Note (optional)").fill("Repeat prescription sent to the pharmacy.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Resolved. Thank you.")
    expect(page.get_by_text("4 out of 5", exact=True)).to_be_visible()
    assert_accessible(page, axe)
    resolved = escalation(live_server, surgery.late_id)
    assert (resolved.status, resolved.outcome, resolved.usefulness) == (
        EscalationStatus.RESOLVED, EscalationOutcome.HELPED, 4)

    # The queue now holds the other one; the resolved one is under "Resolved lately", by its
    # number: nothing about that client is live with the surgery any more.
    page.get_by_role("link", name="Back to your queue").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(surgery.calm_name)
    recent = page.locator("section", has=page.get_by_role("heading", name="Resolved lately"))
    expect(recent).to_contain_text(f"Escalation {surgery.late_id}")
    expect(recent).not_to_contain_text(surgery.late_name)

    # Straight from the queue, in one tap.
    rows.first.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.get_by_role("status")).to_have_text("Acknowledged: it is yours to deal with now.")
    expect(rows.first).to_contain_text("Resolve within")
    assert escalation(live_server, surgery.calm_id).status == EscalationStatus.ACKNOWLEDGED


def test_coordinator_sees_the_page_with_its_own_forms(page, live_server, surgery, expect, axe):
    log_in(page, surgery.coordinator_email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto(f"/escalations/{surgery.calm_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pain or illness: {surgery.calm_name}")
    expect(page.get_by_text("Why it went here")).to_be_visible()
    page.get_by_text("Send it to someone else").click()
    recipient = page.get_by_label("Send to")
    expect(recipient.locator("option", has_text="Janet Poingdestre")).to_have_count(1)
    assert_accessible(page, axe)

    # Sent to the daughter, who may be told: the page of the new escalation opens.
    recipient.select_option(label="Janet Poingdestre (daughter)")
    page.get_by_label("Why (optional)").fill("Her daughter takes her to the surgery.")
    page.get_by_role("button", name="Send it there").click()
    expect(page.get_by_role("status")).to_have_text("Sent on. This is the new escalation.")
    expect(page.get_by_text("Where it came from")).to_be_visible()
    assert_accessible(page, axe)
    assert escalation(live_server, surgery.calm_id).status == EscalationStatus.REASSIGNED
