"""The evaluation dashboard page, its CSVs and the cost-per-visit form, on the fixture counted
by hand in tests/reports/fixture.py."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from tests import factories
from tests.conftest import csrf_token
from tests.reports import fixture as hand
from tests.web.test_literacy_report_pages import table, text_of

RANGE = "from=2026-01-01&to=2026-03-31"


@pytest.fixture
def made(app):
    return hand.committed(app)


@pytest.fixture
def as_user(app, login):
    return lambda user_id: login(hand.detached_user(app, user_id))


def page(made, query: str = RANGE) -> str:
    return f"/evaluation/?programme_id={made.programme_id}&{query}"


def test_the_coordinator_sees_every_section_with_charts_and_tables(made, as_user, app):
    client = as_user(made.coordinator_id)
    response = client.get(page(made))
    assert response.status_code == 200
    body, words = response.get_data(as_text=True), text_of(response)
    assert "Evaluation: Dashboard Call & Check" in words
    assert "From 1 January 2026 to 31 March 2026" in words
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 10
    assert table(body, "table-clients-by-month")[1:] == [
        ["Jan 2026", "1", "1"], ["Feb 2026", "1", "0"], ["Mar 2026", "0", "1"]]
    assert table(body, "table-visits")[1:] == [["8", "6", "2", "75"]]
    assert "6 of 8 planned visits were done (75%); 2 were missed." in words
    assert table(body, "table-escalations-by-recipient")[1] == [
        "Food Bank Trust", "2", "2", "2", "0", "1", "2", "4", "20", "30"]
    assert table(body, "table-escalations-by-recipient")[3][0] == "Designated contacts"
    assert "4 texts sent, 2 delivered (50%), 2 replies, 1 opt-outs; about £0.20." in words
    assert ("6 visits at £6.75 each cost £40.50; with £0.20 of texts, £40.70, or £6.78 a visit."
            in words)
    assert table(body, "table-wellbeing-change")[1] == [
        "Loneliness (UCLA-3, 3–9)", "6", "3.5", "2", "0", "0"]
    assert 'id="csv-needs" href="/evaluation/needs.csv?programme_id=' in body
    for name in hand.START.isoformat(), "Grouville GP":
        assert name in body
    # Totals only: no client is named on the page.
    with app.app_context():
        names = list(db.session.scalars(select(Client.full_name).where(
            Client.programme_id == made.programme_id)))
    assert len(names) == 6 and not [n for n in names if n in body]


def test_the_view_is_audited_without_client_events(made, as_user, app):
    as_user(made.coordinator_id).get(page(made, RANGE + "&parish=Trinity"))
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.actor_id == made.coordinator_id)))
    views = [e for e in events if e.action == "evaluation.view"]
    assert len(views) == 1 and views[0].detail == {"filters": ["from", "parish",
                                                               "programme_id", "to"]}
    assert not [e for e in events if e.client_id is not None]


def test_filters_by_parish_and_round(made, as_user):
    client = as_user(made.coordinator_id)
    trinity = client.get(page(made, RANGE + "&parish=Trinity"))
    assert table(trinity.get_data(as_text=True), "table-clients-by-month")[1:] == [
        ["Jan 2026", "0", "1"], ["Feb 2026", "1", "0"], ["Mar 2026", "0", "1"]]
    on_round = client.get(page(made, RANGE + f"&round_id={made.round_id}"))
    assert table(on_round.get_data(as_text=True), "table-visits")[1:] == [["6", "4", "2", "66.7"]]
    blank = client.get(page(made, RANGE + "&parish=&round_id="))
    assert blank.status_code == 200


@pytest.mark.parametrize("query, field", [
    ("from=2026-13-01", "from"), ("from=yesterday", "from"), ("to=1999-12-31", "to"),
    ("from=2026-03-01&to=2026-02-01", "to"), ("round_id=abc", "round_id"),
    ("round_id=0", "round_id"), ("parish=" + "x" * 101, "parish"),
])
def test_bad_filters_are_422_with_the_field_named(made, as_user, query, field):
    response = as_user(made.coordinator_id).get(page(made, query))
    assert response.status_code == 422
    assert f'href="#{field}"' in response.get_data(as_text=True)


def test_a_round_of_another_programme_is_refused(made, as_user, app):
    with app.app_context():
        other = db.session.get(Programme, made.other_programme_id)
        foreign_round = factories.round_(other).id
        db.session.commit()
    response = as_user(made.coordinator_id).get(page(made, f"round_id={foreign_round}"))
    assert response.status_code == 422
    assert "Not a round of this programme." in text_of(response)


def test_other_programmes_are_refused(made, as_user):
    client = as_user(made.coordinator_id)
    assert client.get(f"/evaluation/?programme_id={made.other_programme_id}").status_code == 403
    assert client.get("/evaluation/?programme_id=999999999").status_code == 404
    assert client.get("/evaluation/?programme_id=1%27%20OR%201=1").status_code == 404


def test_an_admin_reads_any_programme(made, as_user):
    admin = as_user(made.admin_id)
    assert admin.get(f"/evaluation/?programme_id={made.other_programme_id}").status_code == 200


def test_without_dates_it_covers_the_last_12_months(made, as_user):
    response = as_user(made.coordinator_id).get(f"/evaluation/?programme_id={made.programme_id}")
    assert response.status_code == 200
    assert 'id="covers"' in response.get_data(as_text=True)


def test_each_table_downloads_as_csv(made, as_user):
    client = as_user(made.coordinator_id)
    response = client.get(f"/evaluation/escalations-by-severity.csv?programme_id="
                          f"{made.programme_id}&{RANGE}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "dashboard-call-check-escalations-by-severity.csv" in \
        response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Dashboard"]
    assert rows[2] == ["Dashboard Call & Check", "2026-01-01", "2026-03-31", "", ""]
    assert rows[4] == ["Escalations by severity"]
    assert rows[6] == ["Urgent", "1", "1", "1", "0", "1", "1.0", "1.0", "6.0", "6.0"]
    assert rows[7] == ["Soon", "4", "3", "2", "1", "2", "4.0", "10.0", "20.0", "30.0"]
    assert rows[8] == ["Routine", "0", "0", "0", "0", "0", "", "", "", ""]
    for name in ("clients", "clients-by-month", "leaving-reasons", "visits", "visits-by-month",
                 "no-answers", "needs", "escalations-by-recipient", "usefulness", "texts",
                 "texts-by-month", "wellbeing", "wellbeing-change", "satisfaction", "cost"):
        assert client.get(f"/evaluation/{name}.csv?programme_id={made.programme_id}&{RANGE}"
                          ).status_code == 200, name
    assert client.get(f"/evaluation/nothing.csv?programme_id={made.programme_id}"
                      ).status_code == 404
    bad = client.get(f"/evaluation/clients.csv?programme_id={made.programme_id}&from=2026-02-30")
    assert bad.status_code == 422
    assert "The filters are not valid: from: Not a valid date." in text_of(bad)


def test_csv_cells_that_look_like_formulas_stay_text(made, as_user, app):
    with app.app_context():
        enrolment = db.session.scalars(select(ProgrammeEnrolment).where(
            ProgrammeEnrolment.programme_id == made.programme_id,
            ProgrammeEnrolment.left_at.is_not(None))).first()
        enrolment.leaving_reason = '=HYPERLINK("http://example.invalid","x")'
        db.session.commit()
    response = as_user(made.coordinator_id).get(
        f"/evaluation/leaving-reasons.csv?programme_id={made.programme_id}&{RANGE}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["'=HYPERLINK(\"http://example.invalid\",\"x\")", "1"] in rows


def _cost_url(made, programme_id=None) -> str:
    return (f"/evaluation/programmes/{programme_id or made.programme_id}/cost-per-visit"
            "?from=2026-01-01&to=2026-03-31")


def test_the_coordinator_changes_the_cost_of_a_visit(made, as_user, app):
    client = as_user(made.coordinator_id)
    token = csrf_token(client, page(made))
    response = client.post(_cost_url(made), data={"cost_per_visit": "8.10", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/evaluation/?from=2026-01-01&to=2026-03-31&programme_id={made.programme_id}")
    with app.app_context():
        assert db.session.get(Programme, made.programme_id).cost_per_visit == Decimal("8.10")
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "programme.update",
            AuditEvent.actor_id == made.coordinator_id)).one()
        assert event.detail == {"fields": ["cost_per_visit"]}
    words = text_of(client.get(response.headers["Location"]))
    assert "6 visits at £8.10 each cost £48.60" in words


@pytest.mark.parametrize("value, message", [
    ("", "Give the cost of one visit"), ("abc", "Not a valid number."),
    ("-1", "greater than or equal to 0"), ("1000.01", "less than or equal to 1000"),
    ("6.755", "at most 2 decimals"), ("NaN", "Special numeric values"),
    ("=1+1", "Not a valid number."),
])
def test_a_wrong_cost_is_refused_on_the_page(made, as_user, app, value, message):
    client = as_user(made.coordinator_id)
    token = csrf_token(client, page(made))
    response = client.post(_cost_url(made), data={"cost_per_visit": value, "csrf_token": token})
    assert response.status_code == 422
    assert message in text_of(response)
    with app.app_context():
        assert db.session.get(Programme, made.programme_id).cost_per_visit == Decimal("6.75")


def test_the_cost_form_needs_its_csrf_token_and_the_programme(made, as_user, app):
    client = as_user(made.coordinator_id)
    assert client.post(_cost_url(made), data={"cost_per_visit": "9"}).status_code == 400
    token = csrf_token(client, page(made))
    refused = client.post(_cost_url(made, made.other_programme_id),
                          data={"cost_per_visit": "9", "csrf_token": token})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Programme, made.other_programme_id).cost_per_visit == \
            Decimal("6.75")
