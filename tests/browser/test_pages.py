"""The coordinator's pages in a real browser on a 360 px wide phone: log in, search, enrol,
withdraw consent, and every page checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, OrganisationKind, Role
from outreach.people.models import Client
from tests import factories
from tests.browser.conftest import PHONE

SERIOUS = ("serious", "critical")


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def logged_in(page, live_server, expect) -> None:
    log_in(page, live_server.seed.coordinator_email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # a coordinator's start page
    page.goto("/clients/")


def fill_enrolment(page, seed, *, name: str, date_of_birth: str, phone: str) -> None:
    """Fill the enrol form: the client, a contact, and the three consents."""
    page.get_by_label("Programme").select_option(label=seed.programme_name)
    about = page.get_by_role("group", name="About the client")
    about.get_by_label("Full name").fill(name)
    about.get_by_label("Date of birth").fill(date_of_birth)
    about.get_by_label("Mobile or home phone").fill(phone)
    about.get_by_label("Address").fill("3 Rue des Prés")
    about.get_by_label("Parish").fill("St Martin")
    about.get_by_label("Lives alone").check()
    about.get_by_label("GP practice").select_option(label=seed.gp_name)
    about.get_by_label("Round", exact=True).select_option(label=seed.round_name)
    contact = page.get_by_role("group", name="Designated contact")
    contact.get_by_label("Name").fill("Paul Vibert")
    contact.get_by_label("Relationship").fill("son")
    contact.get_by_label("Phone").fill("07700 900988")
    contact.get_by_label("A short report after each visit").check()
    consent = page.get_by_role("group", name="Consent")
    consent.get_by_label("The client agrees to take part").check()
    consent.get_by_label("share concerns with their GP practice").check()
    consent.get_by_label("share concerns with the contact above").check()


def test_coordinator_logs_in_sees_clients_and_searches(page, live_server, expect):
    seed = live_server.seed
    log_in(page, seed.coordinator_email)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.get_by_role("navigation").get_by_role("link", name="Clients").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    first, second = seed.search_names
    expect(page.get_by_role("link", name=first)).to_be_visible()
    expect(page.get_by_role("link", name=second)).to_be_visible()

    page.get_by_label("Search by name, parish or phone").fill("quesne")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"\?q=quesne$"))
    expect(page.get_by_role("link", name=first)).to_be_visible()
    expect(page.get_by_role("link", name=second)).to_have_count(0)

    page.get_by_label("Search by name, parish or phone").fill("Nobody Such")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No client matches “Nobody Such”.")).to_be_visible()


def test_enrol_a_client_with_contact_and_consents_then_the_same_person_again(
        page, live_server, expect):
    seed = live_server.seed
    logged_in(page, live_server, expect)
    page.get_by_role("main").get_by_role("link", name="Enrol a client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enrol a client")

    fill_enrolment(page, seed, name="Elsie Vibert", date_of_birth="1938-03-02",
                   phone="07700 900987")
    page.get_by_role("button", name="Enrol").click()

    expect(page).to_have_url(re.compile(r"/clients/\d+$"))
    first_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Elsie Vibert")
    expect(page.get_by_role("status")).to_have_text("Elsie Vibert is enrolled.")
    contact = page.locator(".contacts > li")
    expect(contact).to_have_count(1)
    expect(contact).to_contain_text("Paul Vibert (son)")
    expect(contact).to_contain_text("+44 7700 900988")
    consents = page.locator(".consents > li")
    expect(consents).to_have_count(3)
    expect(consents.filter(has_text="To take part")).to_have_count(1)
    expect(consents.filter(has_text=f"To share with {seed.gp_name}")).to_have_count(1)
    expect(consents.filter(has_text="To share with Paul Vibert")).to_have_count(1)

    # The same person again: a warning, nothing saved, and everything typed is kept.
    page.get_by_role("navigation").get_by_role("link", name="Enrol a client").click()
    fill_enrolment(page, seed, name="Elsie Vibert", date_of_birth="1938-03-02",
                   phone="07700 900987")
    page.get_by_role("button", name="Enrol").click()

    warning = page.get_by_role("alert")
    expect(warning.get_by_role("heading")).to_have_text("This person may already be enrolled")
    expect(warning.get_by_role("link", name="Elsie Vibert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/clients/new$"))
    expect(page.get_by_label("Full name")).to_have_value("Elsie Vibert")
    expect(page.get_by_label("The client agrees to take part")).to_be_checked()

    page.get_by_label("This is a different person: enrol anyway").check()
    page.get_by_role("button", name="Enrol").click()

    expect(page).to_have_url(re.compile(r"/clients/\d+$"))
    assert page.url != first_url
    expect(page.get_by_role("heading", level=1)).to_have_text("Elsie Vibert")
    expect(page.locator(".consents > li")).to_have_count(3)

    page.goto("/clients/?q=Elsie+Vibert")
    expect(page.get_by_role("link", name="Elsie Vibert")).to_have_count(2)


def test_withdraw_a_consent(page, live_server, expect):
    seed = live_server.seed
    logged_in(page, live_server, expect)
    page.goto(f"/clients/{seed.withdraw_client_id}")
    sharing = page.locator(".consents > li").filter(
        has_text=f"To share with {seed.withdraw_contact_name}")
    expect(sharing).to_contain_text("Active")

    sharing.get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw consent")
    page.get_by_label("Reason").fill("She asked us to stop telling her daughter.")
    page.get_by_role("button", name="Withdraw consent").click()

    expect(page).to_have_url(re.compile(rf"/clients/{seed.withdraw_client_id}$"))
    expect(page.get_by_role("status")).to_contain_text("Consent withdrawn")
    expect(sharing).to_contain_text("Withdrawn")
    expect(sharing).to_contain_text("She asked us to stop telling her daughter.")
    expect(sharing.get_by_role("link", name="Withdraw")).to_have_count(0)
    taking_part = page.locator(".consents > li").filter(has_text="To take part")
    expect(taking_part).to_contain_text("Active")


def test_wrong_password_shows_a_plain_error(page, live_server, expect):
    log_in(page, live_server.seed.coordinator_email, "not the password")

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account.")
    expect(page.get_by_label("Email")).to_have_value(live_server.seed.coordinator_email)
    expect(page.get_by_label("Password")).to_have_value("")


@dataclass(frozen=True)
class CareSeed:
    """The extra data the Call & Check pages need: a round with a stop, and a pharmacy."""

    round_id: int
    pharmacist_email: str


@pytest.fixture(scope="module")
def care_seed(site) -> CareSeed:
    """The page client on a round of their own, with a plan, a pause, an appointment, and a
    prescription from a pharmacy they agreed to share with; the round has holiday cover."""
    seed = site.seed
    with site.app.app_context():
        shown = db.session.get(Client, seed.page_client_id)
        round_ = factories.round_(shown.programme, name="Grouville Coast", area="Grouville",
                                  weekdays="1,3,5")
        shown.round_id, shown.walk_order = round_.id, 1
        neighbour = factories.client(shown.programme, full_name="Yvonne de Gruchy",
                                     parish="Grouville", round_id=round_.id, walk_order=2)
        factories.visit_plan(shown, "weekdays", weekdays="1,5")
        factories.visit_plan(neighbour, "weekly", weekdays="3")
        today = date.today()
        factories.pause(shown, today + timedelta(days=20), today + timedelta(days=27))
        visitor = factories.user(Role.VISITOR, shown.programme.operator,
                                 full_name="Roland Le Cornu")
        factories.cover(round_, visitor, today + timedelta(days=30), today + timedelta(days=44))
        pharmacy = factories.organisation(OrganisationKind.HEALTH, name="Gorey Pharmacy")
        pharmacist = factories.user(Role.PROVIDER, pharmacy, email="pharmacist@example.org")
        factories.consent(shown, ConsentPurpose.SHARE_INFORMATION, organisation_id=pharmacy.id,
                          given_by="client")
        factories.appointment(shown, utcnow() + timedelta(days=3), transport_needed=True)
        factories.prescription(shown, pharmacy, description="Repeat prescription, 2 bags")
        db.session.commit()
        made = CareSeed(round_id=round_.id, pharmacist_email=pharmacist.email)
        db.session.remove()
    return made


@dataclass(frozen=True)
class TextsSeed:
    """Texts about the page client: a check-in and its answer, a failed reminder, one the
    console "sent" with an emoji, an interrupted send, a text from an unknown number, and a
    contact's number that does not work."""

    unknown_message_id: int


@pytest.fixture(scope="module")
def texts_seed(site) -> TextsSeed:
    seed = site.seed
    with site.app.app_context():
        shown = db.session.get(Client, seed.page_client_id)
        factories.message(shown, status="delivered", kind="check_in", backend="console",
                          body="Hello Philippe, it's Call & Check. Reply 1 if you are OK, 2 if "
                               "you would like a call, 3 if you need help today.")
        factories.message(shown, direction="inbound", status="received",
                          meaning="check_in_answer", body="2")
        factories.message(shown, status="failed", kind="appointment_reminder", error_code=30003,
                          error_reason="The phone is switched off or out of signal.",
                          body="Reminder: eye clinic tomorrow at 10:30, General Hospital.")
        factories.message(shown, status="delivered", backend="console", encoding="UCS-2",
                          body="Votre ordonnance arrive demain 📦")
        unknown = factories.message(shown, status="unknown", attempts=1,
                                    error_reason="The send was interrupted and the provider "
                                                 "has no record of it.",
                                    body="Hello Philippe, the visitor comes at 11 today.")
        factories.message(None, direction="inbound", status="received",
                          meaning="unknown_sender", body="Hello? Who is this please?")
        factories.sms_number(shown.contacts[0].phone, invalid=True)
        db.session.commit()
        made = TextsSeed(unknown_message_id=unknown.id)
        db.session.remove()
    return made


# Each page to check: how to reach it, starting from a logged-out tab.
def _login_page(page, server, expect):
    page.goto("/login")


def _login_failed(page, server, expect):
    log_in(page, server.seed.coordinator_email, "not the password")
    expect(page.get_by_role("alert")).to_be_visible()


def _too_many_tries(page, server, expect):
    for _ in range(12):
        log_in(page, server.seed.coordinator_email, "not the password")
        if page.get_by_role("heading", name="Too many tries").is_visible():
            break
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many tries")


def _form_expired(page, server, expect):
    page.goto("/login")
    page.locator("input[name=csrf_token]").evaluate("(input) => { input.value = 'stale'; }")
    page.get_by_label("Email").fill(server.seed.coordinator_email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This form has expired")


def _client_list(page, server, expect):
    logged_in(page, server, expect)


def _client_search(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/clients/?q=nobody")


def _enrol_form(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/clients/new")


def _enrol_form_with_errors(page, server, expect):
    _enrol_form(page, server, expect)
    page.get_by_label("Full name").fill("   ")
    page.get_by_label("Mobile or home phone").fill("not a phone")
    page.get_by_role("group", name="Designated contact").get_by_label("Name").fill("Rose")
    page.get_by_role("group", name="Designated contact").get_by_label("Email").fill("no-at")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")
    # The page opens on the list of mistakes, not at the top.
    expect(page.get_by_role("alert")).to_be_focused()


def _enrol_form_duplicate(page, server, expect):
    first = server.seed.search_names[0]
    _enrol_form(page, server, expect)
    page.get_by_label("Programme").select_option(label=server.seed.programme_name)
    page.get_by_label("Full name").fill(first)
    page.get_by_label("Date of birth").fill("1940-05-17")
    page.get_by_label("The client agrees to take part").check()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("alert")).to_contain_text("may already be enrolled")


def _client_page(page, server, expect):
    logged_in(page, server, expect)
    page.goto(f"/clients/{server.seed.page_client_id}")


def _client_page_forms_open(page, server, expect):
    _client_page(page, server, expect)
    page.get_by_text("Add a designated contact").click()
    page.get_by_text("Record a consent").click()


def _client_page_with_errors(page, server, expect):
    _client_page_forms_open(page, server, expect)
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")


def _edit_page(page, server, expect):
    logged_in(page, server, expect)
    page.goto(f"/clients/{server.seed.page_client_id}/edit")


def _withdraw_page(page, server, expect):
    seed = server.seed
    logged_in(page, server, expect)
    page.goto(f"/clients/{seed.page_client_id}/consents/{seed.page_consent_id}/withdraw")


def _not_found_page(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/clients/999999")


def _dashboard(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/dashboard/")


def _programmes(page, server, expect):
    logged_in(page, server, expect)
    page.get_by_role("navigation").get_by_role("link", name="Programmes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes")


def _programme_settings(page, server, expect):
    _programmes(page, server, expect)
    page.get_by_role("link", name=f"Change the settings of {server.seed.programme_name}").click()
    expect(page.get_by_label("Check-in texts go at")).to_have_value("10:00")


def _programme_settings_errors(page, server, expect):
    _programme_settings(page, server, expect)
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Time zone")
    expect(page.get_by_label("Time zone")).to_have_value("Mars/Olympus")


def _programme_settings_saved(page, server, expect):
    _programme_settings(page, server, expect)
    page.get_by_label("Check-in texts go at").fill("09:30")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("settings saved")
    expect(page.get_by_text("At 09:30; a reply is waited for")).to_be_visible()


def _my_concerns(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/dashboard/my-concerns")


def _todays_round_coordinator(page, server, expect):
    logged_in(page, server, expect)
    page.get_by_role("navigation").get_by_role("link", name="Today's round").click()
    expect(page).to_have_url(re.compile(r"/round/$"))


def _rounds_list(page, server, expect):
    logged_in(page, server, expect)
    page.get_by_role("navigation").get_by_role("link", name="Rounds").click()
    expect(page.get_by_role("link", name="Grouville Coast")).to_be_visible()


def _round_page(page, server, expect):
    logged_in(page, server, expect)
    page.goto(f"/rounds/{server.care.round_id}")
    expect(page.locator(".covers")).to_contain_text("Roland Le Cornu")


def _round_page_cover_errors(page, server, expect):
    _round_page(page, server, expect)
    page.get_by_text("Hand this round to another visitor").click()
    page.get_by_role("button", name="Add cover").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")


def _new_round_form(page, server, expect):
    _rounds_list(page, server, expect)
    page.get_by_role("link", name="New round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New round")


def _new_round_errors(page, server, expect):
    _new_round_form(page, server, expect)
    page.get_by_label("Name of the round").fill("   ")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day).uncheck()
    page.get_by_role("button", name="Create the round").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick one or more days")


def _edit_round_form(page, server, expect):
    _round_page(page, server, expect)
    page.get_by_role("link", name="Change the name, visitor or days").click()
    expect(page.get_by_label("Name of the round")).to_have_value("Grouville Coast")


def _edit_round_errors(page, server, expect):
    _edit_round_form(page, server, expect)
    page.get_by_label("Name of the round").fill("")
    page.get_by_role("button", name="Save the round").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")


def _plan_page(page, server, expect):
    logged_in(page, server, expect)
    page.goto(f"/clients/{server.seed.page_client_id}/plan")
    page.get_by_text("Pause visits (hospital stay, holiday)").click()


def _plan_page_errors(page, server, expect):
    _plan_page(page, server, expect)
    page.get_by_role("button", name="Add pause").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")


def _client_care_section(page, server, expect):
    _client_page(page, server, expect)
    care = page.locator("#care")
    expect(care.locator(".prescriptions > li")).to_contain_text("Repeat prescription, 2 bags")
    care.get_by_text("Add an appointment").click()
    care.get_by_text("Add a prescription to deliver").click()
    care.scroll_into_view_if_needed()


def _pharmacy_page(page, server, expect):
    log_in(page, server.care.pharmacist_email)
    page.get_by_role("navigation").get_by_role("link", name="Prescriptions").click()
    expect(page).to_have_url(re.compile(r"/pharmacy$"))
    expect(page.get_by_text("Repeat prescription, 2 bags")).to_be_visible()


def _texts_log(page, server, expect):
    logged_in(page, server, expect)
    page.get_by_role("navigation").get_by_role("link", name="Texts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Texts")
    # Kept for the coordinator in its own section (and listed in the whole log below it).
    strangers = page.get_by_role("region", name=re.compile("Texts from unknown numbers"))
    expect(strangers.get_by_text("Hello? Who is this please?")).to_be_visible()


def _text_to_decide(page, server, expect):
    logged_in(page, server, expect)
    page.goto(f"/messages/{server.texts.unknown_message_id}")
    expect(page.get_by_role("button", name="Send it again")).to_be_visible()


def _texts_outbox(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/messages/outbox")
    expect(page.get_by_role("heading", name="Nothing leaves this machine")).to_be_visible()


def _texts_opt_outs(page, server, expect):
    logged_in(page, server, expect)
    page.goto("/messages/opt-outs")
    expect(page.get_by_role("button", name=re.compile("Number checked"))).to_be_visible()


def _client_texts_section(page, server, expect):
    _client_page(page, server, expect)
    texts = page.locator("#texts")
    expect(texts).to_contain_text("The phone is switched off or out of signal.")
    texts.locator("summary").click()
    texts.scroll_into_view_if_needed()


def _send_text_errors(page, server, expect):
    _client_texts_section(page, server, expect)
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")


def _self_report_form(page, server, expect):
    """A coordinator texts the link; then, as the client with no login, it is opened."""
    _client_page(page, server, expect)
    page.get_by_role("button", name="Text a link to tell us what they need").click()
    expect(page.get_by_role("status")).to_contain_text("A link was texted to")
    newest = page.locator("#texts .sms-body").filter(has_text="/tell-us/").first.inner_text()
    path = re.search(r"/tell-us/[A-Za-z0-9_-]{32}", newest).group(0)
    page.context.clear_cookies()
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us what you need")


def _self_report_errors(page, server, expect):
    _self_report_form(page, server, expect)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the form")
    expect(page.get_by_role("alert")).to_be_focused()


def _self_report_thanks(page, server, expect):
    _self_report_form(page, server, expect)
    page.get_by_role("link", name="Polski").click()
    page.get_by_label("Upadłem / upadłam").check()
    page.get_by_label("Dzisiaj").check()
    page.get_by_label("Czy chcesz coś dodać?").fill("Upadłam w kuchni.")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy")


def _password_page(page, server, expect):
    logged_in(page, server, expect)
    page.get_by_role("link", name="Your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")


def _password_page_errors(page, server, expect):
    _password_page(page, server, expect)
    page.get_by_label("Current password").fill(factories.PASSWORD)
    page.get_by_label("New password", exact=True).fill("password12")
    page.get_by_label("New password again").fill("password12")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#new_password-error")).to_contain_text("too easy to guess")


PAGES = {
    "login": _login_page,
    "login-failed": _login_failed,
    "login-too-many-tries": _too_many_tries,
    "login-form-expired": _form_expired,
    "client-list": _client_list,
    "client-search-no-match": _client_search,
    "enrol-form": _enrol_form,
    "enrol-form-errors": _enrol_form_with_errors,
    "enrol-form-duplicate": _enrol_form_duplicate,
    "client-page": _client_page,
    "client-page-forms-open": _client_page_forms_open,
    "client-page-errors": _client_page_with_errors,
    "edit-page": _edit_page,
    "withdraw-page": _withdraw_page,
    "not-found": _not_found_page,
    "dashboard": _dashboard,
    "my-concerns": _my_concerns,
    "programmes": _programmes,
    "programme-settings": _programme_settings,
    "programme-settings-errors": _programme_settings_errors,
    "programme-settings-saved": _programme_settings_saved,
    "todays-round-coordinator": _todays_round_coordinator,
    "rounds-list": _rounds_list,
    "round-page": _round_page,
    "round-page-cover-errors": _round_page_cover_errors,
    "new-round-form": _new_round_form,
    "new-round-errors": _new_round_errors,
    "edit-round-form": _edit_round_form,
    "edit-round-errors": _edit_round_errors,
    "plan-page": _plan_page,
    "plan-page-errors": _plan_page_errors,
    "client-care-section": _client_care_section,
    "pharmacy": _pharmacy_page,
    "texts-log": _texts_log,
    "text-to-decide": _text_to_decide,
    "texts-outbox": _texts_outbox,
    "texts-opt-outs": _texts_opt_outs,
    "client-texts-section": _client_texts_section,
    "send-text-errors": _send_text_errors,
    "self-report-form": _self_report_form,
    "self-report-errors": _self_report_errors,
    "self-report-thanks": _self_report_thanks,
    "password-page": _password_page,
    "password-page-errors": _password_page_errors,
}


@dataclass(frozen=True)
class Site:
    """What a page's route to it may need: the conftest's seed and this module's care data."""

    seed: object
    care: CareSeed
    texts: TextsSeed | None = None

# Lists what sticks out past the right edge, for a helpful failure message.
WIDE_ELEMENTS = """(limit) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
  .slice(0, 10)
  .map((el) => el.outerHTML.slice(0, 160) + ' right=' + el.getBoundingClientRect().right)"""


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.mark.parametrize("reach", PAGES.values(), ids=PAGES.keys())
def test_page_is_accessible_and_fits_a_phone(page, live_server, care_seed, texts_seed, expect,
                                            axe, reach):
    reach(page, Site(live_server.seed, care_seed, texts_seed), expect)
    expect(page.locator("h1")).to_have_count(1)

    violations = axe.run(page).response["violations"]
    lesser = [v for v in violations if v["impact"] not in SERIOUS]
    if lesser:  # reported, not failed: shown with -rA or when the test fails
        print(f"axe, minor or moderate on {page.url}:\n{_describe(lesser)}")
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, (f"axe found serious or critical problems on {page.url}:\n"
                         + _describe(serious))

    width = PHONE["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{page.url} scrolls sideways on a {width} px phone (scrollWidth {scroll_width}):\n"
        + "\n".join(page.evaluate(WIDE_ELEMENTS, width)))
