"""The text pages: the message log, one text and its decisions, the console outbox, the opt-out
list, and the "Texts" section and form of a client's page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, InboundMeaning, MessageKind
from outreach.messages import views as message_views
from outreach.messages.models import Message, SmsNumber
from outreach.people.models import Client
from tests import factories
from tests.conftest import ACCEPTED, csrf_token

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday in summer: 10:00 in Jersey (BST)
ELSEWHERE = "+447700900002"


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def texts(app, world):
    """A failed text, a check-in answer, an unknown sender, another operator's text and an
    interrupted send."""
    with app.app_context():
        get = db.session.get
        on, off = get(Client, world.client_on_round.id), get(Client, world.client_off_round.id)
        foreign = get(Client, world.foreign_client.id)
        made = SimpleNamespace(
            failed=factories.message(on, status="failed", error_code=30003,
                                     error_reason="The phone is switched off or unreachable.",
                                     body="Your eye clinic is tomorrow at 10:30.",
                                     kind="appointment_reminder", segments=2,
                                     cost_estimate="0.08").id,
            answer=factories.message(off, direction="inbound", status="received",
                                     meaning="check_in_answer", body="1").id,
            stranger=factories.message(None, direction="inbound", status="received",
                                       meaning="unknown_sender", body="Who is this please").id,
            elsewhere=factories.message(None, direction="inbound", status="received",
                                        service_number=ELSEWHERE, body="Not for you").id,
            foreign=factories.message(foreign, body="Other island text").id,
            unknown=factories.message(on, status="unknown", body="Are you well today?",
                                      error_reason="The send was interrupted.").id,
        )
        db.session.commit()
        return made


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def audited(app, action: str, actor) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.actor_id == actor.id)
            .order_by(AuditEvent.id)))


# --- The log ---------------------------------------------------------------------------------

def test_log_shows_statuses_in_words_with_reasons_and_cost(app, world, texts, client, login):
    login(world.coordinator)
    shown = page(client, "/messages/")
    assert "Texts from unknown numbers (1)" in shown and "Who is this please" in shown
    assert "Not for you" not in shown and "Other island text" not in shown
    assert "Failed" in shown and "The phone is switched off or unreachable." in shown
    assert "Appointment reminder" in shown and "2 parts (GSM-7), about 0.08 GBP" in shown
    assert "Answer to a check-in" in shown
    assert "Not known: please decide" in shown
    assert "Mon 2 June 2025, 10:00" in shown  # stored in UTC, shown in Jersey time
    # Newest first.
    assert shown.index("Are you well today?") < shown.index("Your eye clinic")
    listed = {e.client_id for e in audited(app, "client.list", world.coordinator)}
    assert listed == {world.client_on_round.id, world.client_off_round.id}


@pytest.mark.parametrize(("column", "value"), [
    *(("kind", kind.value) for kind in MessageKind),
    *(("meaning", meaning.value) for meaning in InboundMeaning),
])
def test_every_kind_of_text_is_named_in_words(app, world, client, login, column, value):
    """A new kind of text or reply (outcome, survey, survey answer...) never shows blank."""
    with app.app_context():
        direction = "inbound" if column == "meaning" else "outbound"
        made = factories.message(db.session.get(Client, world.client_on_round.id),
                                 direction=direction, body="Words test",
                                 status="received" if direction == "inbound" else "sent",
                                 **{column: value}).id
        db.session.commit()
    login(world.coordinator)
    shown = page(client, f"/messages/{made}")
    what = shown.split("What it is</dt><dd>", 1)[1].split("</dd>", 1)[0].strip()
    assert what and what != "Not yet read", (column, value)


def test_log_filters(app, world, texts, client, login):
    login(world.coordinator)
    inbound = page(client, "/messages/?direction=inbound")
    log = inbound[inbound.index('id="log-heading"'):]
    assert "Your eye clinic" not in log and "Answer to a check-in" in log
    failed = page(client, "/messages/?status=failed")
    log = failed[failed.index('id="log-heading"'):]
    assert "Your eye clinic" in log and "Are you well today?" not in log
    other = page(client, f"/messages/?programme_id={world.other_programme.id}")
    assert "No texts to show." in other
    # Nonsense filters are ignored, never a failure.
    assert "Your eye clinic" in page(
        client, "/messages/?direction=x&status=%00&programme_id=99999999999999&before=-1")


def test_one_clients_log_is_an_audited_read(app, world, texts, client, login):
    login(world.coordinator)
    shown = page(client, f"/messages/?client_id={world.client_on_round.id}")
    assert f"Texts about {world.client_on_round.full_name}" in shown
    assert "Your eye clinic" in shown and "Answer to a check-in" not in shown
    assert "Texts from unknown numbers" not in shown
    reads = audited(app, "client.read", world.coordinator)
    assert [(e.client_id, e.detail["for"]) for e in reads] == [
        (world.client_on_round.id, "messages")]
    assert client.get(f"/messages/?client_id={world.foreign_client.id}").status_code == 403
    assert client.get("/messages/?client_id=abc").status_code == 404


def test_log_pages_back_with_an_older_link(app, world, client, login):
    with app.app_context():
        person = db.session.get(Client, world.client_off_round.id)
        for number in range(55):
            factories.message(person, body=f"Text number {number:02d}.")
        db.session.commit()
    login(world.coordinator)
    first = page(client, "/messages/?direction=outbound")
    assert "Text number 54." in first and "Text number 05." in first
    assert "Text number 04." not in first
    link = next(part.split('"')[0] for part in first.split('<a href="')
                if "Older texts" in part)
    assert "direction=outbound" in link
    second = page(client, link)
    assert "Text number 04." in second and "Text number 00." in second
    assert "Text number 05." not in second and "Older texts" not in second


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_other_roles_have_no_text_pages(app, world, texts, client, login, role):
    login(getattr(world, role))
    for url in ("/messages/", f"/messages/{texts.failed}", "/messages/outbox",
                "/messages/opt-outs"):
        assert client.get(url).status_code == 403, url
    nav = client.get("/clients/").get_data(as_text=True)
    assert 'href="/messages/"' not in nav


def test_the_menu_offers_texts_to_coordinators(world, client, login):
    login(world.coordinator)
    assert '<a href="/messages/">Texts</a>' in client.get("/clients/").get_data(as_text=True)


# --- One text, and deciding an interrupted send -----------------------------------------------

def test_one_text_with_its_history_and_client(app, world, texts, client, login):
    with app.app_context():
        from outreach.messages.models import MessageEvent

        db.session.add(MessageEvent(message_id=texts.failed, status="failed", at=NOW,
                                    error_code=30003, detail="Provider reports failed"))
        db.session.commit()
    login(world.coordinator)
    shown = page(client, f"/messages/{texts.failed}")
    assert f"Text to {world.client_on_round.full_name}" in shown
    assert f'href="/clients/{world.client_on_round.id}"' in shown
    assert "Provider reports failed" in shown and "error 30003" in shown
    assert "Send it again" not in shown
    reads = audited(app, "client.read", world.coordinator)
    assert [(e.client_id, e.detail) for e in reads] == [
        (world.client_on_round.id, {"for": "messages", "message_id": texts.failed})]


def test_unknown_and_other_operators_texts(app, world, texts, client, login):
    login(world.coordinator)
    assert client.get(f"/messages/{texts.foreign}").status_code == 403
    assert client.get(f"/messages/{texts.elsewhere}").status_code == 404
    assert client.get("/messages/999999").status_code == 404
    stranger = page(client, f"/messages/{texts.stranger}")
    assert "Text from +44 7700" in stranger and "From a number we do not know" in stranger


def test_decide_to_send_again_then_a_second_decision_is_refused(app, world, texts, client,
                                                                login):
    login(world.coordinator)
    shown = page(client, f"/messages/{texts.unknown}")
    assert "What should happen to this text?" in shown
    assert "Send it again" in shown and "Drop it" in shown
    assert "Check at the SMS provider again" in shown
    token = csrf_token(client, f"/messages/{texts.unknown}")
    done = client.post(f"/messages/{texts.unknown}/decide",
                       data={"csrf_token": token, "action": "send_again"})
    assert done.status_code == 302
    after = page(client, f"/messages/{texts.unknown}")
    assert "It will be sent again now." in after
    assert f"{world.coordinator.full_name} decided to send it again" in after
    with app.app_context():
        assert db.session.get(Message, texts.unknown).status == ACCEPTED
    again = client.post(f"/messages/{texts.unknown}/decide",
                        data={"csrf_token": token, "action": "drop"})
    assert again.status_code == 302
    assert "Only a text whose sending is not known" in page(client, f"/messages/{texts.unknown}")
    with app.app_context():
        assert db.session.get(Message, texts.unknown).status == ACCEPTED


def test_decide_to_drop_and_nonsense_actions(app, world, texts, client, login):
    login(world.coordinator)
    token = csrf_token(client, f"/messages/{texts.unknown}")
    bad = client.post(f"/messages/{texts.unknown}/decide",
                      data={"csrf_token": token, "action": "explode"})
    assert bad.status_code == 302
    assert "Choose send_again, drop or check_again." in page(client,
                                                               f"/messages/{texts.unknown}")
    dropped = client.post(f"/messages/{texts.unknown}/decide",
                          data={"csrf_token": token, "action": "drop"})
    assert dropped.status_code == 302
    with app.app_context():
        assert db.session.get(Message, texts.unknown).status == "cancelled"
    assert "Dropped: it will not be sent." in page(client, f"/messages/{texts.unknown}")


def test_check_again_from_the_page(app, world, texts, client, login, console_sms):
    login(world.coordinator)
    token = csrf_token(client, f"/messages/{texts.unknown}")
    # The console backend keeps nothing outside our database: never found there.
    checked = client.post(f"/messages/{texts.unknown}/decide",
                          data={"csrf_token": token, "action": "check_again"})
    assert checked.status_code == 302
    after = page(client, f"/messages/{texts.unknown}")
    assert "Checked again: the SMS provider still has no record of it." in after
    assert f"{world.coordinator.full_name} checked again: still no record at console" in after
    assert "Send it again" in after  # still for a person to decide
    with app.app_context():
        assert db.session.get(Message, texts.unknown).status == "unknown"
    assert [e.detail for e in audited(app, "message.decide", world.coordinator)] == [
        {"action": "check_again", "found": False}]


# --- The console outbox -----------------------------------------------------------------------

def test_outbox_shows_what_the_console_sent_with_a_notice(app, world, client, login,
                                                          monkeypatch, console_sms):
    cid = world.client_off_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    sent = client.post(f"/clients/{cid}/texts", data={
        "csrf_token": token, "body": "Bonjour! Le facteur passe demain."})
    assert sent.status_code == 302
    outbox = page(client, "/messages/outbox")
    assert "Nothing leaves this machine" in outbox
    assert "Bonjour! Le facteur passe demain." in outbox
    assert f"To {world.client_off_round.full_name}" in outbox
    monkeypatch.setitem(app.config, "SMS_BACKEND", "twilio")
    assert "Nothing leaves this machine" not in page(client, "/messages/outbox")


def test_outbox_leaves_out_other_operators_and_unsent_texts(app, world, texts, client, login):
    with app.app_context():
        db.session.get(Message, texts.foreign).backend = "console"
        db.session.commit()
    login(world.coordinator)
    outbox = page(client, "/messages/outbox")
    assert "Other island text" not in outbox and "Your eye clinic" not in outbox
    assert "No texts in the outbox yet." in outbox


# --- Opt-outs --------------------------------------------------------------------------------

@pytest.fixture
def blocked(app, world):
    with app.app_context():
        off = db.session.get(Client, world.client_off_round.id)
        contact = factories.contact(off, name="Rose Le Brocq", phone="+447700900555")
        made = SimpleNamespace(
            on=factories.sms_number(world.client_on_round.phone, opted_out=True).id,
            contact=factories.sms_number(contact.phone, invalid=True,
                                         invalid_reason="Not a mobile number.").id,
            foreign=factories.sms_number(world.foreign_client.phone, invalid=True).id,
        )
        db.session.commit()
        return made


def test_opt_out_list_shows_whose_numbers_they_are(app, world, blocked, client, login):
    login(world.coordinator)
    shown = page(client, "/messages/opt-outs")
    assert "Asked for no texts (1)" in shown and "Numbers that do not work (1)" in shown
    assert world.client_on_round.full_name in shown
    assert f"Rose Le Brocq</a> (contact of {world.client_off_round.full_name})" in shown
    assert "Not a mobile number. (error 21211)" in shown
    assert world.foreign_client.full_name not in shown
    assert shown.count("Number checked<span") == 1  # only for the number that does not work
    listed = {e.client_id for e in audited(app, "client.list", world.coordinator)}
    assert listed == {world.client_on_round.id, world.client_off_round.id}


def _walk(client, url: str, after: str) -> tuple[list[str], list[str]]:
    """Follow one list's "Next page" links from `url`; answers the pages and their links."""
    pages, links = [], [url]
    while url:
        shown = page(client, url)
        pages.append(shown)
        # Each list's own links are in its own section (the invalid numbers' comes second).
        section = shown.split('id="invalid-heading"')[after == "invalid_after"]
        found = re.findall(r'href="([^"]*)">Next page', section)
        url = html.unescape(found[0]) if found else None
        if url:
            links.append(url)
    return pages, links


def test_each_opt_out_list_is_paged_on_its_own(app, world, client, login, monkeypatch):
    monkeypatch.setattr(message_views, "PAGE", 2)
    with app.app_context():
        for n in range(5):
            factories.sms_number(f"+4477009001{n:02d}", opted_out=True)
        for n in range(3):
            factories.sms_number(f"+4477009002{n:02d}", invalid=True)
        db.session.commit()
    login(world.admin)

    pages, links = _walk(client, "/messages/opt-outs", "opted_after")

    assert len(pages) == 3  # 2 + 2 + 1
    assert all("Asked for no texts (5)" in p and "Numbers that do not work (3)" in p
               for p in pages)
    assert [numbers(p) for p in pages] == [["900100", "900101"], ["900102", "900103"],
                                            ["900104"]]
    assert all(numbers(p, "invalid") == ["900200", "900201"] for p in pages)  # stays put
    assert "First page" not in pages[0] and "First page" in pages[2]

    # Paging the other list keeps this one's place.
    moved, _ = _walk(client, links[1], "invalid_after")
    assert numbers(moved[1], "invalid") == ["900202"]
    assert numbers(moved[1]) == ["900102", "900103"]


def numbers(shown: str, which: str = "opted") -> list[str]:
    """The last six digits of each number listed in one list of the page."""
    section = shown.split('id="invalid-heading"')[which == "invalid"]
    return [re.sub(r"\D", "", n)[-6:] for n in re.findall(r"<strong>([^<]*)</strong>", section)]


def test_number_checked_clears_it(app, world, blocked, client, login):
    login(world.coordinator)
    token = csrf_token(client, "/messages/opt-outs")
    done = client.post(f"/messages/opt-outs/{blocked.contact}/clear-invalid",
                       data={"csrf_token": token})
    assert done.status_code == 302
    shown = page(client, "/messages/opt-outs")
    assert "Number marked as checked" in shown and "Numbers that do not work (0)" in shown
    with app.app_context():
        assert db.session.get(SmsNumber, blocked.contact).invalid_at is None
    assert client.post(f"/messages/opt-outs/{blocked.contact}/clear-invalid",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/messages/opt-outs/{blocked.foreign}/clear-invalid",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/messages/opt-outs/{blocked.on}/clear-invalid",
                       data={"csrf_token": token}).status_code == 302
    assert "This number is not marked as not working." in page(client, "/messages/opt-outs")


# --- The client page ---------------------------------------------------------------------------

def test_client_page_shows_texts_and_sends_one(app, world, texts, client, login):
    cid = world.client_on_round.id
    login(world.coordinator)
    shown = page(client, f"/clients/{cid}")
    section = shown[shown.index('id="texts"'):]
    assert "Your eye clinic is tomorrow" in section and "Are you well today?" in section
    assert "Answer to a check-in" not in section  # another client's
    assert "Send a text" in section
    token = csrf_token(client, f"/clients/{cid}")
    done = client.post(f"/clients/{cid}/texts", data={
        "csrf_token": token, "body": "The visitor comes at 11 today.", "contact_id": ""})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/clients/{cid}#texts")
    after = page(client, f"/clients/{cid}")
    assert "Text written. It is being sent now." in after
    assert "The visitor comes at 11 today." in after
    with app.app_context():
        made = db.session.scalar(select(Message).where(
            Message.body == "The visitor comes at 11 today."))
        assert (made.client_id, made.contact_id, made.status) == (cid, None, ACCEPTED)


def test_a_long_text_warns_that_it_goes_in_parts(world, client, login):
    cid = world.client_on_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    client.post(f"/clients/{cid}/texts", data={"csrf_token": token, "body": "word " * 40})
    assert "it goes as 2 parts" in page(client, f"/clients/{cid}")


def test_at_night_the_flash_says_the_text_waits(world, client, login):
    set_clock(datetime(2025, 6, 2, 21, 30, tzinfo=UTC))  # 22:30 in Jersey
    cid = world.client_on_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    client.post(f"/clients/{cid}/texts", data={"csrf_token": token, "body": "Goodnight"})
    assert "Quiet hours: held until the morning." in page(client, f"/clients/{cid}")


def test_contacts_are_offered_only_with_consent(app, world, client, login):
    cid = world.client_on_round.id
    with app.app_context():
        person = db.session.get(Client, cid)
        shared = factories.contact(person, name="Paul Vibert", relationship="son")
        factories.contact(person, name="Nosy Neighbour", relationship="neighbour")
        factories.consent(person, ConsentPurpose.TAKE_PART)
        factories.consent(person, ConsentPurpose.SHARE_INFORMATION, contact_id=shared.id)
        db.session.commit()
        shared_id = shared.id
    login(world.coordinator)
    shown = page(client, f"/clients/{cid}")
    form = shown[shown.index('id="texts"'):]
    form = form[:form.index("</section>")]
    assert f'<option value="{shared_id}" >Paul Vibert (son)</option>' in form
    assert "Nosy Neighbour" not in form
    token = csrf_token(client, f"/clients/{cid}")
    done = client.post(f"/clients/{cid}/texts", data={
        "csrf_token": token, "body": "Your mother is well.", "contact_id": str(shared_id)})
    assert done.status_code == 302


@pytest.mark.parametrize(("form", "message"), [
    ({"body": ""}, "Cannot be blank."),
    ({"body": "x" * 1601}, "Must be at most 1600 characters."),
    ({"body": "a\x00b"}, "Contains characters that are not allowed."),
    ({"body": "Hi", "contact_id": "999999"}, "Not a contact of this client."),
    ({"body": "Hi", "contact_id": "abc"}, "Not a valid integer."),
])
def test_bad_send_form_shows_errors_and_keeps_nothing(app, world, client, login, form,
                                                      message):
    cid = world.client_on_round.id
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{cid}")
    response = client.post(f"/clients/{cid}/texts", data={"csrf_token": token, **form})
    assert response.status_code == 422
    shown = html.unescape(response.get_data(as_text=True))
    assert "Please check the form" in shown and message in shown
    with app.app_context():
        assert db.session.scalar(select(Message)) is None


def test_an_opted_out_client_is_refused_with_the_reason(app, world, client, login):
    cid = world.client_on_round.id
    with app.app_context():
        factories.sms_number(world.client_on_round.phone, opted_out=True)
        db.session.commit()
    login(world.coordinator)
    shown = page(client, f"/clients/{cid}")
    assert "No texts can go to" in shown and "opted out of texts" in shown
    token = csrf_token(client, f"/clients/{cid}")
    response = client.post(f"/clients/{cid}/texts", data={"csrf_token": token, "body": "Hi"})
    assert response.status_code == 422
    assert "The number has opted out of texts (replied STOP)." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Message)) is None


def test_texts_section_shows_nothing_of_a_client_the_user_cannot_see(app, world, texts):
    """The section asks whether the client is visible once, then reads their texts: another
    operator's client gives none, even if the section were ever shown for one."""
    from flask_login import login_user

    from outreach.auth.models import User
    from outreach.messages.views import texts_for_client

    with app.test_request_context("/"):
        login_user(db.session.get(User, world.coordinator.id))
        theirs = texts_for_client(db.session.get(Client, world.foreign_client.id))
        mine = texts_for_client(db.session.get(Client, world.client_on_round.id))
    assert theirs["messages"] == []
    assert {m.id for m in mine["messages"]} == {texts.failed, texts.unknown}


def test_visitors_see_no_texts_on_the_client_page(world, texts, client, login):
    login(world.visitor)
    shown = page(client, f"/clients/{world.client_on_round.id}")
    assert 'id="texts"' not in shown and "Your eye clinic" not in shown


def test_times_are_shown_on_the_programmes_clock(app, world, client, login):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        factories.message(person, body="Late text", created_at=NOW - timedelta(hours=9, minutes=30))
        factories.message(person, body="Winter text",
                          created_at=datetime(2025, 1, 6, 23, 30, tzinfo=UTC))
        db.session.commit()
    login(world.coordinator)
    shown = page(client, "/messages/")
    assert "Mon 2 June 2025, 00:30" in shown  # 23:30 UTC in summer is past midnight in Jersey
    assert "Mon 6 January 2025, 23:30" in shown  # and the same in winter (GMT)
