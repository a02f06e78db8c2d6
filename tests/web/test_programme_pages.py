"""The programmes page and each programme's settings form, over HTTP."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from markupsafe import escape
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.programmes.models import Programme
from tests.conftest import as_user, csrf_token
from tests.literacy import factories as lf

SETTINGS = {"name": "Call & Check North", "description": "Weekday visits in the north",
            "timezone": "Europe/London", "check_in_time": "09:30",
            "check_in_reply_window_minutes": "180", "quiet_hours_start": "20:00",
            "quiet_hours_end": "08:30", "sms_number": "07700 900123",
            "no_answer_window_minutes": "90", "cost_per_visit": "7.25"}


def _settings_url(programme_id: int) -> str:
    return f"/programmes/{programme_id}/settings"


def _saved(app, programme_id: int) -> Programme:
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        db.session.expunge(programme)
        return programme


def _audited(app, programme_id: int) -> list[dict]:
    with app.app_context():
        return [event.detail for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "programme.update",
                                     AuditEvent.subject_type == "programme",
                                     AuditEvent.subject_id == str(programme_id))
            .order_by(AuditEvent.id))]


def test_a_coordinator_lists_the_programmes_they_run_with_their_settings(world, client, login):
    login(world.coordinator)
    page = client.get("/programmes/").get_data(as_text=True)
    assert escape(world.programme.name) in page
    assert escape(world.other_programme.name) not in page
    assert "At 10:00; a reply is waited for 240 minutes" in page
    assert "Passed to the coordinator after 120 minutes" in page
    assert escape("the service's own number") in page
    assert f'href="{_settings_url(world.programme.id)}"' in page
    assert 'href="/programmes/"' in client.get("/dashboard/").get_data(as_text=True)  # in the nav


def test_a_coordinator_changes_the_settings_and_the_change_is_audited(app, world, client,
                                                                      login):
    login(world.coordinator)
    url = _settings_url(world.programme.id)
    form = client.get(url).get_data(as_text=True)
    assert 'value="10:00"' in form and 'value="6.75"' in form
    saved = client.post(url, data=dict(SETTINGS, csrf_token=csrf_token(client, url)))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/programmes/")
    assert "Call &amp; Check North: settings saved." in client.get("/programmes/").get_data(
        as_text=True)
    programme = _saved(app, world.programme.id)
    assert (programme.name, programme.description, programme.timezone) == (
        "Call & Check North", "Weekday visits in the north", "Europe/London")
    assert (programme.check_in_time, programme.quiet_hours_start, programme.quiet_hours_end) == (
        time(9, 30), time(20, 0), time(8, 30))
    assert (programme.check_in_reply_window_minutes, programme.no_answer_window_minutes) == (
        180, 90)
    assert (programme.sms_number, programme.cost_per_visit) == ("+447700900123",
                                                               Decimal("7.25"))
    assert _audited(app, world.programme.id) == [{"fields": sorted(SETTINGS)}]
    # Blank number: back to the service's own. Only what changed is recorded.
    client.post(url, data=dict(SETTINGS, sms_number="", csrf_token=csrf_token(client, url)))
    assert _saved(app, world.programme.id).sms_number == ""
    assert _audited(app, world.programme.id)[-1] == {"fields": ["sms_number"]}
    unchanged = client.post(url, data=dict(SETTINGS, sms_number="",
                                           csrf_token=csrf_token(client, url)))
    assert unchanged.status_code == 302 and len(_audited(app, world.programme.id)) == 2


def test_bad_settings_are_shown_with_what_was_typed_and_nothing_is_saved(app, world, client,
                                                                         login):
    login(world.coordinator)
    url = _settings_url(world.programme.id)
    bad = dict(SETTINGS, name=" ", timezone="Mars/Olympus", check_in_time="25:00",
               check_in_reply_window_minutes="2", no_answer_window_minutes="",
               sms_number="not a number", cost_per_visit="6.755")
    answer = client.post(url, data=dict(bad, csrf_token=csrf_token(client, url)))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Please check the form" in page
    for label in ("Name", "Time zone", "Check-in texts go at", "Minutes to wait for a reply",
                  "Minutes before a no-answer goes to the coordinator",
                  "Number the texts come from", "Cost of one visit"):
        assert f">{label}</a>:" in page, label
    assert 'value="Mars/Olympus"' in page and 'value="not a number"' in page
    assert _saved(app, world.programme.id).name == world.programme.name
    assert _audited(app, world.programme.id) == []


def test_a_digital_literacy_programme_has_no_check_in_or_visit_settings(app, world, client,
                                                                         login):
    with app.app_context():
        programme_id = lf.literacy_programme(db.session.merge(world.operator),
                                             name="Get Online").id
        db.session.commit()
    login(world.coordinator)
    listed = client.get("/programmes/").get_data(as_text=True)
    assert f'href="/programmes/{programme_id}/skills"' in listed
    url = _settings_url(programme_id)
    form = client.get(url).get_data(as_text=True)
    assert 'type="time" value="10:00"' not in form and 'name="check_in_time" value="10:00"' in form
    fields = {"name": "Get Online Together", "description": "", "timezone": "Europe/Jersey",
              "quiet_hours_start": "21:00", "quiet_hours_end": "08:00", "sms_number": "",
              "check_in_time": "10:00", "check_in_reply_window_minutes": "240",
              "no_answer_window_minutes": "120", "cost_per_visit": "6.75"}
    saved = client.post(url, data=dict(fields, csrf_token=csrf_token(client, url)))
    assert saved.status_code == 302
    assert _saved(app, programme_id).name == "Get Online Together"
    assert _audited(app, programme_id) == [{"fields": ["name"]}]


def test_only_the_programmes_managers_may_open_or_change_its_settings(app, world):
    url = _settings_url(world.programme.id)
    for user in (world.visitor, world.tutor, world.provider):
        browser = as_user(app, user)
        assert browser.get("/programmes/").status_code == 403
        assert browser.get(url).status_code == 403
    browser = as_user(app, world.other_coordinator)
    assert browser.get(url).status_code == 403
    assert browser.post(url, data=dict(SETTINGS, csrf_token=csrf_token(
        browser, _settings_url(world.other_programme.id)))).status_code == 403
    assert _saved(app, world.programme.id).name == world.programme.name
    assert browser.get(_settings_url(2147483647)).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "programme.denied")) is not None
    browser = as_user(app, world.admin)
    page = browser.get("/programmes/").get_data(as_text=True)
    assert escape(world.programme.name) in page and escape(world.other_programme.name) in page
    assert browser.get(_settings_url(world.other_programme.id)).status_code == 200
