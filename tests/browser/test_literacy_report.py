"""The coordinator finds a digital-literacy programme's report and its skills checklist from the
workshops page, on a 360 px phone: checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from outreach.db import db, utcnow
from outreach.enums import AttendanceStatus, OrganisationKind, Role
from tests import factories
from tests.browser.test_provider import assert_accessible, log_in
from tests.literacy import factories as lf


@pytest.fixture(scope="module")
def coordinator_email(site) -> str:
    """A programme half-way through a workshop: two sessions held, marks, skills, confidence."""
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Report Test Post")
        programme = lf.literacy_programme(operator, name="Get Online Reports")
        coordinator = factories.user(Role.COORDINATOR, operator,
                                     email="coordinator@reporttest.example")
        tutor = factories.user(Role.TUTOR, operator)
        skills = [lf.skill(programme, "Use email"), lf.skill(programme, "Spot a scam")]
        workshop = lf.workshop(programme, tutor, skills=skills, title="Your phone and you")
        held = [lf.session(workshop, utcnow() - timedelta(days=days)) for days in (14, 7)]
        lf.session(workshop, utcnow() + timedelta(days=7))
        for n, name in enumerate(("Ana Freitas", "Jan Kowalski", "Mary Le Brun")):
            learner = factories.client(programme, full_name=name)
            enrolment = lf.enrolment(workshop, learner, confidence_before=2,
                                     confidence_after=2 + n)
            for session in held:
                lf.attendance(session, enrolment,
                              AttendanceStatus.PRESENT if n else AttendanceStatus.LATE)
            lf.skill_shown(enrolment, skills[n % 2])
        db.session.commit()
        email = coordinator.email
        db.session.remove()
    return email


def test_the_report_is_found_from_the_workshops_page_and_reads_on_a_phone(
        page, coordinator_email, expect, axe):
    log_in(page, coordinator_email)
    page.get_by_role("navigation").get_by_role("link", name="Workshops").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshops")
    assert_accessible(page, axe)
    page.get_by_role("link", name=re.compile("Programme report")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report: Get Online Reports")
    expect(page.locator("svg")).to_have_count(3)
    expect(page.get_by_role("table").first).to_be_visible()
    assert_accessible(page, axe)


def test_the_skills_checklist_takes_a_new_skill_on_a_phone(page, coordinator_email, expect, axe):
    log_in(page, coordinator_email)
    page.goto("/workshops/")
    page.get_by_role("link", name="Skills checklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Skills checklist")
    assert_accessible(page, axe)
    page.get_by_label("What the learner can do").fill("Read my test results online")
    page.get_by_role("button", name="Add to the checklist").click()
    expect(page.get_by_text("Read my test results online", exact=True)).to_be_visible()
    assert_accessible(page, axe)
