"""The tutor's register in a real browser on a 360 px phone: log in, land on today's sessions,
open the register, tap a learner present, tick a skill; every page checked with axe-core and
for sideways scrolling. Also the public sign-up form on the same phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.db import db, utcnow
from outreach.enums import OrganisationKind, Role
from outreach.literacy.models import Attendance, SkillShown
from tests import factories
from tests.browser.test_provider import assert_accessible, log_in
from tests.literacy import factories as lf


@dataclass(frozen=True)
class Class:
    tutor_email: str
    session_id: int
    code: str
    learners: tuple[str, str]
    enrolment_id: int


@pytest.fixture(scope="module")
def lesson(site) -> Class:
    """A workshop session under way now and another next week, with two learners enrolled."""
    with site.app.app_context():
        operator = factories.organisation(OrganisationKind.OPERATOR, name="Register Test Post")
        programme = lf.literacy_programme(operator, name="Get Online")
        tutor = factories.user(Role.TUTOR, operator, email="tutor@registertest.example",
                               full_name="Tess Tutor")
        skills = [lf.skill(programme, "Use email"), lf.skill(programme, "Spot a scam")]
        workshop = lf.workshop(programme, tutor, skills=skills,
                               title="Your phone and your health")
        session = lf.session(workshop, utcnow() - timedelta(minutes=15),
                             venue="St Helier Library, room 2",
                             accessibility_notes="Step-free entrance; hearing loop")
        first = factories.client(programme, full_name="Marie-Thérèse Le Brocq")
        second = factories.client(programme, full_name="Wojciech Nowak")
        lf.session(workshop, utcnow() + timedelta(days=7), venue="St Helier Library, room 2")
        enrolment = lf.enrolment(workshop, first)
        lf.enrolment(workshop, second)
        db.session.commit()
        made = Class(tutor.email, session.id, session.short_code,
                     (first.full_name, second.full_name), enrolment.id)
        db.session.remove()
    return made


def named(action: str, who: str) -> re.Pattern:
    """A button's name: what it does, then (for screen readers) whom or what it is for."""
    return re.compile(rf"^{re.escape(action)}\W+{re.escape(who)}$")


def test_tutor_takes_the_register_with_one_tap(page, live_server, lesson, expect, axe):
    log_in(page, lesson.tutor_email)
    expect(page).to_have_url(re.compile(r"/tutor/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My sessions")
    expect(page.get_by_text("now", exact=True)).to_be_visible()
    assert_accessible(page, axe)

    page.get_by_role("link", name=re.compile("Your phone and your health")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    expect(page.locator(".code-big")).to_have_text(lesson.code)
    expect(page.locator("#register-count")).to_have_text("0 of 2 marked")
    assert_accessible(page, axe)

    name = lesson.learners[0]
    page.get_by_role("button", name=named("Present", name)).tap()
    expect(page).to_have_url(re.compile(rf"/register#learner-{lesson.enrolment_id}$"))
    row = page.locator(f"#learner-{lesson.enrolment_id}")
    expect(row).to_contain_text("Present")
    expect(row.get_by_role("button", name=named("Present", name))).to_have_attribute(
        "aria-pressed", "true")
    expect(page.locator("#register-count")).to_have_text("1 of 2 marked")
    assert_accessible(page, axe)
    with live_server.app.app_context():
        marks = db.session.scalars(select(Attendance).where(
            Attendance.session_id == lesson.session_id)).all()
        assert [(m.enrolment_id, m.status) for m in marks] == [(lesson.enrolment_id, "present")]
        db.session.remove()

    # From the register to the learner: tick a skill, one tap again.
    row.get_by_role("link", name=name).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    assert_accessible(page, axe)
    page.get_by_role("button", name=named("Mark shown", "Spot a scam")).tap()
    expect(page.get_by_role("button", name=named("Undo", "Spot a scam"))).to_be_visible()
    page.get_by_role("group", name="At the start").get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Save confidence").tap()
    expect(page.get_by_role("status")).to_have_text("Confidence saved.")
    assert_accessible(page, axe)
    with live_server.app.app_context():
        shown = db.session.scalars(select(SkillShown.skill_id).where(
            SkillShown.enrolment_id == lesson.enrolment_id)).all()
        assert len(shown) == 1  # other modules share the live server's database
        db.session.remove()

    page.get_by_role("link", name="Print “What you learned”").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you learned")
    expect(page.get_by_text("You came to 1 of 1 session")).to_be_visible()
    assert_accessible(page, axe)


def test_public_sign_up_on_a_phone(page, live_server, lesson, expect, axe):
    page.goto("/learn/?lang=pt")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aprenda a usar o telemóvel ou o computador")
    assert_accessible(page, axe)
    page.get_by_role("button", name="Inscrever-me").click()
    expect(page.get_by_role("alert")).to_contain_text("Marque a caixa para aceitar participar.")
    assert_accessible(page, axe)
    page.get_by_label("O seu nome").fill("Ana Pereira")
    page.get_by_label("O seu número de telemóvel").fill("07700 900456")
    page.get_by_label(re.compile("Your phone and your health")).check()
    page.get_by_label(re.compile("Aceito participar")).check()
    page.get_by_role("button", name="Inscrever-me").click()
    expect(page.get_by_role("status")).to_contain_text("Tem lugar em Your phone and your health")
    assert_accessible(page, axe)
