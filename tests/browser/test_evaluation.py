"""The coordinator reads the evaluation dashboard on a 360 px phone, narrows it to a parish and
sets the cost of a visit: checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import pytest

from outreach.auth.models import User
from outreach.db import db
from tests.browser.test_provider import assert_accessible, log_in
from tests.reports import fixture as hand


@pytest.fixture(scope="module")
def coordinator_email(site) -> str:
    """The hand-counted programme of tests/reports/fixture.py."""
    with site.app.app_context():
        made = hand.build()
        db.session.commit()
        email = db.session.get(User, made.coordinator_id).email
        db.session.remove()
    return email


def test_the_dashboard_reads_on_a_phone_and_takes_a_new_cost(page, coordinator_email, expect,
                                                             axe):
    log_in(page, coordinator_email)
    page.get_by_role("navigation").get_by_role("link", name="Evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Evaluation: Dashboard Call & Check")
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#visits-summary")).to_contain_text("6 of 8 planned visits were done")
    expect(page.locator("svg.chart")).to_have_count(10)
    assert_accessible(page, axe)

    page.get_by_label("Parish", exact=True).select_option("Trinity")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#count-left")).to_have_text("2")
    expect(page.locator("#count-active")).to_have_text("0")

    page.get_by_label("Cost of one visit (£)").fill("12.345")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 2 decimals")
    assert_accessible(page, axe)
    page.get_by_label("Cost of one visit (£)").fill("7.00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("A visit now costs £7.00.")).to_be_visible()
    expect(page.locator("#cost-summary")).to_contain_text("at £7.00 each")
    assert_accessible(page, axe)
