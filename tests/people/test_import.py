"""`outreach import-clients`: a CSV checked row by row as the API checks it, all or nothing."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.people import importer
from outreach.people.models import Client, Contact
from tests import factories

HEADER = ["full_name", "date_of_birth", "phone", "email", "address", "parish",
          "preferred_language", "lives_alone", "access_notes", "notes", "gp_practice",
          "contact_name", "contact_relationship", "contact_phone", "contact_email",
          "consent_take_part", "consent_share_gp"]


def national(e164: str) -> str:
    """A fictional +44 7700 900xxx number written the way people type it: 07700 900xxx."""
    return f"0{e164[3:7]} {e164[7:]}"


def person(name: str, **values) -> dict:
    """A good row; keyword arguments replace or blank its values."""
    row = {"full_name": name, "date_of_birth": "1941-03-02",
           "phone": national(factories.fictional_phone()), "email": "", "address": "1 Rue Test",
           "parish": "St Helier", "preferred_language": "en", "lives_alone": "yes",
           "access_notes": "", "notes": "", "gp_practice": "", "contact_name": "",
           "contact_relationship": "", "contact_phone": "", "contact_email": "",
           "consent_take_part": "yes", "consent_share_gp": "no"}
    row.update(values)
    return row


def write(tmp_path, rows, header=HEADER, name="clients.csv", encoding="utf-8"):
    path = tmp_path / name
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column.lower(), "") for column in header])
    return path


def run(app, path, *args):
    return app.test_cli_runner().invoke(args=["outreach", "import-clients", str(path), *args])


def client_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Client))


def import_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client.import")))


def test_good_file_imports_every_row_with_contacts_and_consents(app, world, tmp_path):
    rows = [
        person("Ada Example", date_of_birth="02/03/1941", gp_practice="test gp practice",
               contact_name="Ben Example", contact_relationship="son",
               contact_phone=national(factories.fictional_phone()), consent_share_gp="yes",
               preferred_language="PT", lives_alone="0"),
        person("Cleo Example", phone="", email="cleo@example.org", contact_name="Dee Example",
               contact_email="dee@example.org", lives_alone=""),
        person("Éamon Ñúñez-Example", consent_take_part="no", notes="Línea\nduas"),
    ]
    path = write(tmp_path, rows, header=[c.upper() for c in HEADER])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Excel saves "CSV UTF-8"

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code == 0, result.output
    assert "3 imported, 0 skipped" in result.stdout
    with app.app_context():
        clients = {c.full_name: c for c in db.session.scalars(
            select(Client).where(Client.programme_id == world.programme.id))}
        ada, cleo, eamon = (clients["Ada Example"], clients["Cleo Example"],
                            clients["Éamon Ñúñez-Example"])
        assert ada.date_of_birth == date(1941, 3, 2)
        assert ada.phone.startswith("+447700900")
        assert ada.gp_practice_id == world.gp.id
        assert ada.preferred_language == "pt"
        assert ada.lives_alone is False
        assert [(c.name, c.relationship_to_client) for c in ada.contacts] == [("Ben Example",
                                                                               "son")]
        assert ada.contacts[0].phone.startswith("+447700900")
        assert [e.programme_id for e in ada.enrolments] == [world.programme.id]
        consents = {(c.purpose, c.organisation_id) for c in db.session.scalars(
            select(Consent).where(Consent.client_id == ada.id))}
        assert consents == {(ConsentPurpose.TAKE_PART, None),
                            (ConsentPurpose.SHARE_INFORMATION, world.gp.id)}
        assert cleo.phone is None and cleo.email == "cleo@example.org"
        assert cleo.contacts[0].email == "dee@example.org"
        assert eamon.notes == "Línea\nduas"
        assert db.session.scalar(select(func.count()).select_from(Consent)
                                 .where(Consent.client_id == eamon.id)) == 0
        created = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.create", AuditEvent.client_id.in_(
                [c.id for c in clients.values()]))).all()
        assert len(created) == 3 and all(e.actor_id == world.admin.id for e in created)
    [event] = import_events(app)
    assert event.actor_id == world.admin.id and event.via == "cli"
    assert event.detail == {"rows": 3, "imported": 3, "bad": 0, "skip_bad": False,
                            "programme_id": world.programme.id}


def bad_rows(world) -> list[tuple[dict, str]]:
    """Rows that must be refused, each with the reason expected on its line."""
    existing_phone = national(world.client_off_round.phone)
    repeated = national(factories.fictional_phone())
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    return [
        (person("Bad Phone", phone="12345"), "phone: "),
        (person("Foreign Phone", phone="+1 212 555 0100"),
         "phone: Numbers from US are not accepted here"),
        (person("Future Born", date_of_birth=tomorrow), "date_of_birth: Cannot be in the future."),
        (person("Odd Date", date_of_birth="31/02/1950"), "date_of_birth: Not a valid date."),
        (person("   "), "full_name: Cannot be blank."),
        (person("Unknown Language", preferred_language="de"),
         "preferred_language: Must be one of: en, pt, pl, fr."),
        (person("Unknown Practice", gp_practice="No Such Surgery"), "gp_practice: No GP practice"),
        (person("Food Bank As GP", gp_practice="Test Food Bank"), "gp_practice: No GP practice"),
        (person("Share Without GP", consent_share_gp="yes"), "consent_share_gp: Name the"),
        (person("Odd Flag", lives_alone="sometimes"), "lives_alone: Not a valid boolean."),
        (person("Odd Consent", consent_take_part="maybe"), "consent_take_part: Not a valid"),
        (person("Silent Contact", contact_name="Nobody"), "contact_phone: Give the contact's"),
        (person("Long Notes", notes="x" * 10_000), "notes: Must be at most 5000 characters."),
        (person("Bell\x07Name"), "full_name: Contains characters that are not allowed."),
        (person("Repeat One", phone=repeated), None),  # good: the original
        (person("Repeat Two", phone=repeated), "duplicate of line {first} in this file"),
        (person("Twin Example", date_of_birth="1944-01-01"), None),
        (person("twin example", date_of_birth="01/01/1944"),
         "duplicate of line {twin} in this file (same name and date of birth)"),
        (person("Already Here", phone=existing_phone),
         f"possible duplicate of an existing client: client {world.client_off_round.id} "
         "(same phone)"),
    ]


def test_bad_rows_are_each_reported_with_their_line_and_nothing_is_imported(app, world,
                                                                             tmp_path):
    cases = [(person("Good Person"), None)] + bad_rows(world)
    path = write(tmp_path, [row for row, _ in cases])
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code != 0
    assert "Nothing was imported" in result.output
    lines = {row["full_name"]: number for number, (row, _) in enumerate(cases, start=2)}
    reported = result.stderr.splitlines()
    for number, (_row, reason) in enumerate(cases, start=2):
        mine = [text for text in reported if text.startswith(f"line {number}: ")]
        if reason is None:
            assert not mine, mine
            continue
        reason = reason.format(first=lines["Repeat One"], twin=lines["Twin Example"])
        assert len(mine) == 1 and reason in mine[0], (number, reason, mine)
    assert client_count(app) == before
    [event] = import_events(app)
    assert event.detail["imported"] == 0
    assert event.detail["bad"] == len([r for _, r in cases if r])


def test_skip_bad_imports_the_good_rows_and_keeps_injection_strings_as_text(app, world,
                                                                            tmp_path):
    hostile = "Robert'); DROP TABLE clients;--"
    script = "<script>alert('x')</script>"
    rows = [person(hostile, notes=script, access_notes="\"; DELETE FROM consents; --"),
            person("Bad Phone", phone="not a phone"),
            person("Fine Person", address=script)]
    path = write(tmp_path, rows)
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id), "--skip-bad")

    assert result.exit_code == 0, result.output
    assert "line 3: phone: This does not look like a phone number." in result.stderr
    assert "2 imported, 1 skipped" in result.stdout
    assert client_count(app) == before + 2
    with app.app_context():
        stored = db.session.scalar(select(Client).where(Client.full_name == hostile))
        assert stored.notes == script
        assert stored.access_notes == "\"; DELETE FROM consents; --"
        assert db.session.scalar(select(Client.address).where(
            Client.full_name == "Fine Person")) == script
    assert import_events(app)[0].detail["imported"] == 2


def test_skip_bad_with_only_bad_rows_fails(app, world, tmp_path):
    path = write(tmp_path, [person("Bad", phone="nope")])
    result = run(app, path, "--programme", str(world.programme.id), "--skip-bad")
    assert result.exit_code != 0
    assert "0 imported, 1 skipped" in result.stdout


def test_programme_id_column_and_line_numbers_across_quoted_newlines(app, world, tmp_path):
    header = ["programme_id", "full_name", "notes", "phone"]
    rows = [{"programme_id": str(world.programme.id), "full_name": "Multi Line",
             "notes": "one\ntwo\nthree"},
            {"programme_id": "", "full_name": "No Programme"},
            {"programme_id": "abc", "full_name": "Wordy Programme"},
            {"programme_id": str(world.other_programme.id), "full_name": "Not Mine"}]
    path = write(tmp_path, rows, header=header)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n,,,\n")  # blank lines, as spreadsheets leave them, are ignored
        handle.write(f"{world.programme.id},Too Many,notes,,extra\n")

    result = run(app, path, "--as-email", world.coordinator.email)

    assert result.exit_code != 0
    assert "line 5: programme_id: Give a programme_id, or use --programme." in result.stderr
    assert "line 6: programme_id: Not a valid integer." in result.stderr
    assert "line 7: programme_id: No such programme, or not one of yours." in result.stderr
    assert "line 10: has 5 values but the header names 4 columns." in result.stderr
    assert "line 2:" not in result.stderr


def test_non_utf8_file_is_refused(app, world, tmp_path):
    path = write(tmp_path, [person("Plain Name"), person("José Latin")], encoding="latin-1")
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code != 0
    assert "not UTF-8" in result.output and "line 3" in result.output
    assert client_count(app) == before


@pytest.mark.parametrize(("header", "message"), [
    (["full_name", "nickname", "shoe_size"], "Unknown column(s): nickname, shoe_size."),
    (["phone"], "needs a full_name column"),
    (["full_name", "FULL_NAME"], "named more than once: full_name"),
    (["full_name", ""], "Column 2 has no name"),
    (["full_name;phone"], "separated by semicolons"),
])
def test_bad_header_is_refused_listing_the_known_columns(app, world, tmp_path, header, message):
    path = write(tmp_path, [{"full_name": "Some One"}], header=header)
    result = run(app, path, "--programme", str(world.programme.id))
    assert result.exit_code != 0
    assert message in result.output
    if "Unknown" in message or "semicolons" in message:
        assert "The known columns are: full_name, date_of_birth" in result.output


def test_empty_file_and_missing_programme_are_refused(app, world, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "The file is empty" in run(app, empty, "--programme", str(world.programme.id)).output
    path = write(tmp_path, [person("Some One")])
    result = run(app, path)
    assert result.exit_code != 0
    assert "a programme_id column, or --programme" in result.output


def test_coordinator_imports_only_into_their_own_operators_programmes(app, world, tmp_path):
    path = write(tmp_path, [person("Coordinated Person")])

    refused = run(app, path, "--programme", str(world.other_programme.id),
                  "--as-email", world.coordinator.email)
    assert refused.exit_code != 0
    assert f"cannot import into programme {world.other_programme.id}" in refused.output
    assert import_events(app) == []

    allowed = run(app, path, "--programme", str(world.programme.id),
                  "--as-email", world.coordinator.email.upper())
    assert allowed.exit_code == 0, allowed.output
    [event] = import_events(app)
    assert event.actor_id == world.coordinator.id


def test_actor_must_be_an_active_admin_or_coordinator(app, world, tmp_path):
    path = write(tmp_path, [person("Some One")])
    programme = ["--programme", str(world.programme.id)]
    visitor = run(app, path, *programme, "--as-email", world.visitor.email)
    assert visitor.exit_code != 0 and "administrator or a coordinator" in visitor.output
    nobody = run(app, path, *programme, "--as-email", "nobody@example.org")
    assert nobody.exit_code != 0 and "No active user" in nobody.output
    with app.app_context():
        db.session.merge(world.admin).active = False
        db.session.commit()
    no_admin = run(app, path, *programme)
    assert no_admin.exit_code != 0 and "no active administrator" in no_admin.output
    assert client_count(app) == 3


def test_large_files_are_streamed_in_batches(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)
    rows = [person(f"Batch Person {i}", phone="", date_of_birth="") for i in range(8)]
    rows[5]["contact_name"], rows[5]["contact_email"] = "Kin", "kin@example.org"
    path = write(tmp_path, rows)
    assert importer.count_lines(path) == 9

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code == 0, result.output
    assert "8 imported" in result.stdout
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact).join(Client).where(
            Client.full_name == "Batch Person 5")) == 1


def test_overlong_line_is_refused(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_LINE_BYTES", 300)
    path = write(tmp_path, [person("Long " + "n" * 400)])
    result = run(app, path, "--programme", str(world.programme.id))
    assert result.exit_code != 0 and "Line 2 is longer than 300 bytes" in result.output
