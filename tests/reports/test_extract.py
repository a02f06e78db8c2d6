"""The anonymised extract: nothing that names or reaches a person, stable pseudonyms, age
bands, who may download it, and the command that writes the same files."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.enums import EscalationOutcome, EscalationStatus
from outreach.evaluation.models import OutcomeMeasure
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme
from outreach.reports import extract
from outreach.reports.extract import FILES, Pseudonyms, age_band
from tests import factories

WHEN = datetime(2026, 3, 10, 11, tzinfo=UTC)
# Everything here is personal and must never reach an evaluator.
PEOPLE = [
    dict(full_name="Wenceslas Quibbleworth", phone="+447700900501",
         address="17 Rue des Marguerites, Gorey", email="wenceslas@example.net",
         date_of_birth=date(1941, 2, 3), notes="Key under the blue flowerpot",
         access_notes="Dog called Biscuit", parish="Grouville"),
    dict(full_name="Graça Łukasiewicz", phone="+447700900502",
         address="Flat 9, Maison Żółta, St Aubin", email="graca@example.net",
         date_of_birth=date(1933, 12, 30), notes="Prefers Portuguese", parish="St Brélade"),
]
TEXTS = ("Needs help with the heating since Tuesday", "Left the parcel with Mrs Ogunbanjo",
         "Told Wenceslas about the bus", "Daughter Henrietta will call")


@pytest.fixture
def records(ctx, world):
    """Two clients with everything filled in, their visits, needs, escalations and measures;
    and one client of the other operator."""
    prog = db.session.get(Programme, world.programme.id)
    gp = db.session.get(Organisation, world.gp.id)
    food_bank = db.session.get(Organisation, world.food_bank.id)
    operator = db.session.get(Organisation, world.operator.id)
    made = [factories.client(prog, gp_practice_id=gp.id, **person) for person in PEOPLE]
    first, second = made
    for person in made:  # enrolled before the events, so a range of dates keeps them
        person.enrolments[0].enrolled_at = datetime(2026, 1, 5, tzinfo=UTC)
    for person, text in zip(made, TEXTS, strict=False):
        factories.visit(person, visited_at=WHEN, note=text, answers={"how": text},
                        prescription_delivered=True)
    need = factories.need(first, "home_or_heating", "urgent", description=TEXTS[0],
                          created_at=WHEN)
    factories.escalation(first, gp, need=need, created_at=WHEN, acknowledged_at=WHEN,
                         resolved_at=datetime(2026, 3, 11, 11, tzinfo=UTC),
                         resolve_due_at=datetime(2026, 3, 12, tzinfo=UTC),
                         status=EscalationStatus.RESOLVED, outcome=EscalationOutcome.HELPED,
                         outcome_note=TEXTS[2], usefulness=4)
    factories.escalation(second, food_bank, category="food_or_shopping", created_at=WHEN)
    factories.escalation(second, operator, category="loneliness", created_at=WHEN)
    factories.escalation(first, contact=factories.contact(first, name="Henrietta Quibbleworth"),
                         category="fall", created_at=WHEN)
    db.session.add(OutcomeMeasure(client_id=first.id, programme_id=prog.id, kind="wellbeing",
                                  source="visit", asked_at=WHEN, completed_at=WHEN,
                                  ucla_companionship=2, ucla_left_out=1, ucla_isolated=3,
                                  ons_life_satisfaction=7, ons_worthwhile=8, ons_happy=6,
                                  ons_anxious=2))
    db.session.flush()
    return prog, made


def _tables(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted([*FILES, "README.txt"])
        tables = {name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
                  for name in FILES}
        tables["README.txt"] = [[archive.read("README.txt").decode("utf-8")]]
    return tables


def _write(scope, names=None, now=WHEN) -> bytes:
    out = io.BytesIO()
    extract.write(out, scope, names or extract.pseudonyms_for(
        {"SECRET_KEY": "k" * 40, "EXTRACT_PSEUDONYM_SALT": "salt"}), now=now)
    return out.getvalue()


def _identifiers(made) -> list[str]:
    found = list(TEXTS) + ["Henrietta", "Quibbleworth", "Wenceslas", "Łukasiewicz", "Graça",
                           "Gorey", "Żółta", "Grouville", "Brélade", "Biscuit", "flowerpot",
                           "1941-02-03", "1933-12-30", "example.net", "Test GP Practice",
                           "Test Food Bank", "Test Post"]
    for client in made:
        found += [client.full_name, client.phone, client.phone[-6:], client.address,
                  client.email]
    return found


def test_no_cell_holds_a_direct_identifier(records):
    prog, made = records
    tables = _tables(_write(extract.Scope(prog)))
    secrets = _identifiers(made)
    ids = {str(c.id) for c in made}
    for name, rows in tables.items():
        for row in rows:
            for cell in row:
                for secret in secrets:
                    assert secret.lower() not in cell.lower(), (name, secret)
    for name in FILES:
        header, *rows = tables[name]
        assert header[0] == "client"
        assert rows, name
        for row in rows:
            assert re.fullmatch(r"c-[0-9a-f]{16}", row[0]) and row[0] not in ids


def test_the_files_hold_the_expected_rows(records, world):
    prog, made = records
    tables = _tables(_write(extract.Scope(prog)))
    names = extract.pseudonyms_for({"SECRET_KEY": "k" * 40, "EXTRACT_PSEUDONYM_SALT": "salt"})
    first, second = (names.client(c.id) for c in made)
    clients = {row[0]: row for row in tables["clients.csv"][1:]}
    # The world's two clients of this programme, and ours; none of the other operator's.
    assert len(clients) == 4 and names.client(world.foreign_client.id) not in clients
    assert clients[first][1:] == ["85-89", "no", "en", "2026-01", "", "active"]
    assert clients[second][1] == "90+"
    assert sorted(row[1:] for row in tables["visits.csv"][1:]) == [
        ["2026-03-10", "seen_well", "yes", "no"]] * 2
    # The escalations' factory makes a need for each of the others.
    assert [first, "2026-03-10", "home_or_heating", "urgent", "visit", "open", ""] in \
        tables["needs.csv"][1:]
    assert len(tables["needs.csv"]) == 5
    escalations = {(row[0], row[4]): row for row in tables["escalations.csv"][1:]}
    assert set(escalations) == {(first, "gp"), (second, "community"), (second, "coordinator"),
                                (first, "contact")}
    helped = escalations[(first, "gp")]
    assert helped[5] == names.organisation(world.gp.id) and helped[5].startswith("o-")
    assert helped[8:] == ["0.0", "yes", "no", "24.0", "yes", "helped", "4"]
    assert escalations[(first, "contact")][5] == ""
    assert tables["measures.csv"][1:] == [[first, "2026-03-10", "2026-03-10", "wellbeing",
                                           "visit", "no", "2", "1", "3", "7", "8", "6", "2",
                                           "", "6"]]
    readme = tables["README.txt"][0][0]
    assert "age_band" in readme and "EXTRACT_PSEUDONYM_SALT" in readme
    assert "clients.csv       4 row(s)" in readme


def test_dates_narrow_the_events(records):
    prog, _ = records
    tables = _tables(_write(extract.Scope(prog, date(2026, 3, 11), date(2026, 3, 31))))
    for name in ("visits.csv", "needs.csv", "escalations.csv", "measures.csv"):
        assert tables[name][1:] == [], name
    # Ours were enrolled by then; the world's two clients were enrolled today.
    assert len(tables["clients.csv"]) == 3


@pytest.mark.parametrize(("born", "band"), [
    (date(1962, 3, 10), "60-64"),  # 64 today
    (date(1962, 3, 9), "60-64"),
    (date(1961, 3, 10), "65-69"),  # 65 today
    (date(1961, 3, 11), "60-64"),  # 65 tomorrow
    (date(1956, 3, 11), "65-69"),  # 69
    (date(1956, 3, 10), "70-74"),  # 70 today
    (date(1936, 3, 11), "85-89"),  # 89
    (date(1936, 3, 10), "90+"),
    (date(1910, 1, 1), "90+"),
    (None, "unknown"),
    (date(2030, 1, 1), "unknown"),  # a typing mistake, not a negative age
])
def test_age_bands(born, band):
    assert age_band(born, date(2026, 3, 10)) == band


def test_pseudonyms_are_stable_keyed_and_distinct(records):
    prog, made = records
    one, two = (_tables(_write(extract.Scope(prog)))["clients.csv"] for _ in range(2))
    assert one == two
    names = Pseudonyms("k" * 40, "salt")
    assert names.client(made[0].id) != names.client(made[1].id)
    assert names.client(made[0].id) != Pseudonyms("k" * 40, "other salt").client(made[0].id)
    assert names.client(made[0].id) != Pseudonyms("x" * 40, "salt").client(made[0].id)
    assert names.client(1) != names.organisation(1)[0] + names.client(1)[1:]


# --- Over HTTP and from the command line ---------------------------------------------------


@pytest.fixture
def saved(app, world):
    with app.app_context():
        prog, made = _saved_records(world)
        db.session.commit()
        return prog, made


def _saved_records(world):
    prog = db.session.get(Programme, world.programme.id)
    made = [factories.client(prog, **person) for person in PEOPLE]
    for person, text in zip(made, TEXTS, strict=False):
        factories.visit(person, visited_at=WHEN, note=text)
        factories.need(person, description=text, created_at=WHEN)
    return prog, made


def test_coordinator_downloads_the_extract_and_it_is_audited(saved, world, login, client):
    prog, made = saved
    login(world.coordinator)
    response = client.get("/evaluation/extract.zip", query_string={"programme_id": prog.id})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    tables = _tables(response.get_data())
    response.close()
    for rows in tables.values():
        for row in rows:
            for cell in row:
                for secret in _identifiers(made):
                    assert secret.lower() not in cell.lower()
    with client.application.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "extract.downloaded")).all()
    assert [(e.actor_id, e.subject_id, e.client_id) for e in events] == [
        (world.coordinator.id, str(prog.id), None)]
    assert events[0].detail == {"programme_id": prog.id, "from": None, "to": None, "rows": {
        "clients.csv": 4, "visits.csv": 2, "needs.csv": 2, "escalations.csv": 0,
        "measures.csv": 0}}


@pytest.mark.parametrize(("who", "status"), [("other_coordinator", 403), ("visitor", 403),
                                             ("provider", 403), ("tutor", 403)])
def test_others_are_refused_and_audited(who, status, saved, world, login, client):
    prog, _ = saved
    login(getattr(world, who))
    response = client.get("/evaluation/extract.zip", query_string={"programme_id": prog.id})
    assert response.status_code == status
    with client.application.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.actor_id == getattr(world, who).id)).all()
    assert "partner_report.denied" in actions and "extract.downloaded" not in actions


@pytest.mark.parametrize(("query", "status"), [
    ({}, 422), ({"programme_id": "abc"}, 422), ({"programme_id": "-1"}, 422),
    ({"programme_id": "9" * 40}, 422), ({"programme_id": "1 OR 1=1"}, 422),
    ({"programme_id": "2147483647"}, 404),
    ({"programme_id": "{p}", "from": "2026-02-30"}, 422),
    ({"programme_id": "{p}", "from": "2026-03-10", "to": "2026-03-01"}, 422),
    ({"programme_id": "{p}", "from": "1066-10-14"}, 422),
    ({"programme_id": "{p}", "from": "", "to": ""}, 200),
])
def test_bad_input_is_refused(query, status, saved, world, login, client):
    prog, _ = saved
    login(world.admin)
    query = {k: v.replace("{p}", str(prog.id)) for k, v in query.items()}
    response = client.get("/evaluation/extract.zip", query_string=query)
    assert response.status_code == status
    response.close()


def test_the_command_writes_the_same_extract(saved, world, login, client, app, tmp_path):
    prog, _ = saved
    output = tmp_path / "extract.zip"
    result = app.test_cli_runner().invoke(args=[
        "outreach", "export-extract", "--programme", "Call & Check", "--output", str(output),
        "--from", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "visits.csv: 2" in result.output
    assert output.stat().st_mode & 0o077 == 0
    login(world.admin)
    response = client.get("/evaluation/extract.zip", query_string={
        "programme_id": prog.id, "from": "2026-01-01"})
    assert _tables(output.read_bytes()) == _tables(response.get_data())
    response.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--programme", "No Such Programme"], "No programme called"),
    (["--programme", "Call & Check", "--from", "2026-13-01"], "Not a valid date"),
])
def test_the_command_refuses_bad_arguments(args, message, saved, app, tmp_path):
    result = app.test_cli_runner().invoke(args=[
        "outreach", "export-extract", *args, "--output", str(tmp_path / "x.zip")])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "x.zip").exists()
