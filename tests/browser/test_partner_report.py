"""The coordinator opens last month's partner reports on a 360 px phone, checked with axe-core
and for sideways scrolling, and prints one: the print stylesheet leaves only the report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.db import db, utcnow
from outreach.enums import EscalationOutcome, EscalationStatus, OrganisationKind, Role
from outreach.reports.partner import this_month
from tests import factories
from tests.browser.test_provider import assert_accessible, log_in


@pytest.fixture(scope="module")
def seeded(site) -> tuple[str, str]:
    """Last month: three escalations to a surgery, one resolved with a rated outcome."""
    month = this_month().previous
    made = utcnow().replace(year=month.year, month=month.month, day=10, hour=9, minute=0)
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Partner Test Post")
        surgery = factories.organisation(OrganisationKind.HEALTH, name="Partner Test Surgery")
        programme = factories.programme(operator, name="Partner Test Call & Check")
        coordinator = factories.user(Role.COORDINATOR, operator,
                                     email="coordinator@partnertest.example")
        for n, category in enumerate(("fall", "medication", "transport")):
            person = factories.client(programme, full_name=f"Partner Test Person {n}")
            resolved = n == 0
            factories.escalation(
                person, surgery, category=category, created_at=made + timedelta(days=n),
                acknowledged_at=made + timedelta(days=n, hours=1),
                resolved_at=made + timedelta(days=n, hours=5) if resolved else None,
                status=EscalationStatus.RESOLVED if resolved else EscalationStatus.ACKNOWLEDGED,
                outcome=EscalationOutcome.HELPED if resolved else None,
                outcome_note="Home visit booked." if resolved else "",
                usefulness=4 if resolved else None)
        db.session.commit()
        email = coordinator.email
        db.session.remove()
    return email, month.label


def test_the_partner_report_reads_on_a_phone_and_prints(page, seeded, expect, axe):
    email, label = seeded
    log_in(page, email)
    page.goto("/evaluation/partners")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Partner reports: {label}")
    assert_accessible(page, axe)
    page.get_by_role("link", name="Partner Test Surgery").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Partner report: Partner Test Surgery")
    expect(page.locator("#summary")).to_contain_text("3 escalations received")
    expect(page.locator("svg#chart-months")).to_be_visible()
    expect(page.locator("#outcomes-table")).to_contain_text("Home visit booked.")
    assert_accessible(page, axe)
    page.emulate_media(media="print")
    expect(page.locator("#pdf-link")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#headline-table")).to_be_visible()
