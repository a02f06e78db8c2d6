"""`outreach import-clients` writes rows in batches: what batching could break, checked."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.people import importer
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from tests import factories
from tests.people.test_import import client_count, import_events, national, person, run, write


def names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Client.full_name)))


def reported(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("line ")]


@pytest.fixture
def refuse_inserts(app):
    """The database refuses any INSERT of a client named in the returned set, as a constraint
    the checks did not foresee would; whatever else the statement held is refused with it."""
    refused: set[str] = set()

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO clients") and any(
                name in repr(parameters) for name in refused):
            raise IntegrityError(statement, parameters, Exception("refused"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    yield refused
    event.remove(engine, "before_cursor_execute", refuse)


def test_a_row_the_database_refuses_is_reported_without_its_values(app, world, tmp_path,
                                                                   refuse_inserts, caplog):
    refuse_inserts.add("Refused Person")
    path = write(tmp_path, [person("Refused Person"), person("Accepted Person")])

    result = run(app, path, "--programme", str(world.programme.id), "--skip-bad")

    assert result.exit_code == 0, result.output
    assert "line 2: the database refused this row." in result.stderr
    assert "1 imported, 1 skipped" in result.stdout
    assert "line 2 refused by the database (IntegrityError)" in caplog.text
    assert "Refused Person" not in caplog.text


@pytest.mark.parametrize("skip_bad", [True, False])
def test_a_refused_row_mid_batch_leaves_no_trace_and_its_batch_is_redone(
        app, world, tmp_path, refuse_inserts, skip_bad):
    refuse_inserts.add("Refused Person")
    phone = national(factories.fictional_phone())
    rows = [person("Before One"), person("Before Two"), person("Refused Person", phone=phone),
            # Not a duplicate: the row it would repeat was never written.
            person("Same Phone Later", phone=phone), person("After One")]
    path = write(tmp_path, rows)
    before = client_count(app)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    result = run(app, path, "--programme", str(world.programme.id),
                 *(["--skip-bad"] if skip_bad else []))

    assert reported(result) == ["line 4: the database refused this row."]
    kept = {"Before One", "Before Two", "Same Phone Later", "After One"}
    if skip_bad:
        assert result.exit_code == 0, result.output
        assert "4 imported, 1 skipped" in result.stdout
        assert client_count(app) == before + 4
        assert kept <= names(app) and "Refused Person" not in names(app)
    else:
        assert result.exit_code != 0 and "Nothing was imported" in result.output
        assert client_count(app) == before
        assert not (kept | {"Refused Person"}) & names(app)
    with app.app_context():
        # Four clients' creation and consent, or nothing; and the import itself either way.
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert events == events_before + (8 if skip_bad else 0) + 1


@pytest.mark.parametrize("skip_bad", [True, False])
def test_a_bad_row_in_the_middle_of_a_batch_is_reported_by_its_line(app, world, tmp_path,
                                                                    monkeypatch, skip_bad):
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)
    rows = [person(f"Row Person {i}") for i in range(7)]
    rows[4]["phone"] = "not a phone"  # line 6: the middle of the second batch (lines 5-7)
    path = write(tmp_path, rows)
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id),
                 *(["--skip-bad"] if skip_bad else []))

    assert reported(result) == ["line 6: phone: This does not look like a phone number."]
    if skip_bad:
        assert "6 imported, 1 skipped" in result.stdout
        assert client_count(app) == before + 6
        assert "Row Person 4" not in names(app) and "Row Person 5" in names(app)
    else:
        assert result.exit_code != 0 and "0 imported, 1 bad" in result.stdout
        assert client_count(app) == before


def test_duplicates_within_a_batch_and_across_batches(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)
    phone = national(factories.fictional_phone())
    rows = [person("Phone One", phone=phone),                                        # line 2
            person("Phone Two", phone=phone),                                        # line 3
            person("Twin Person", date_of_birth="1944-01-01", phone=""),             # line 4
            person("Bad First", phone="nope", date_of_birth="1950-06-06"),           # line 5
            person("TWIN PERSON", date_of_birth="01/01/1944", phone=""),             # line 6
            person("Phone Three", phone=phone),                                      # line 7
            # Its twin on line 5 was bad, so not imported: this one is no duplicate.
            person("Bad First", date_of_birth="06/06/1950", phone="")]               # line 8
    path = write(tmp_path, rows)

    result = run(app, path, "--programme", str(world.programme.id), "--skip-bad")

    assert reported(result) == [
        "line 3: duplicate of line 2 in this file (same phone).",
        "line 5: phone: This does not look like a phone number.",
        "line 6: duplicate of line 4 in this file (same name and date of birth).",
        "line 7: duplicate of line 2 in this file (same phone).",
    ]
    assert "3 imported, 4 skipped" in result.stdout
    assert {"Phone One", "Twin Person", "Bad First"} <= names(app)


def test_duplicates_of_clients_already_enrolled_are_found_batch_by_batch(app, world, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    with app.app_context():
        # A client first enrolled elsewhere who has joined this programme too.
        db.session.add(ProgrammeEnrolment(client_id=world.foreign_client.id,
                                          programme_id=world.programme.id))
        db.session.commit()
    off, on, foreign = world.client_off_round, world.client_on_round, world.foreign_client
    rows = [person("Same Phone", phone=national(off.phone)),                         # line 2
            person(on.full_name.upper(), date_of_birth="17/05/1940", phone=""),      # line 3
            person("Enrolled Here Too", phone=national(foreign.phone)),              # line 4
            # Line 2 was refused, so this is a duplicate of the existing client, not of it.
            person("Same Phone Again", phone=national(off.phone)),                   # line 5
            person(off.full_name, date_of_birth="1940-05-18", phone="")]             # line 6
    path = write(tmp_path, rows)
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id), "--skip-bad")

    existing = "possible duplicate of an existing client: client {} ({})."
    assert reported(result) == [
        f"line 2: {existing.format(off.id, 'same phone')}",
        f"line 3: {existing.format(on.id, 'same name and date of birth')}",
        f"line 4: {existing.format(foreign.id, 'same phone')}",
        f"line 5: {existing.format(off.id, 'same phone')}",
    ]
    assert "1 imported, 4 skipped" in result.stdout
    assert client_count(app) == before + 1


def test_the_audit_trail_names_who_imported_each_client_and_consent(app, world, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    rows = [person("Audit One", gp_practice="Test GP Practice", consent_share_gp="yes"),
            person("Audit Two", consent_take_part="no"),
            person("Audit Three")]
    path = write(tmp_path, rows)

    result = run(app, path, "--programme", str(world.programme.id),
                 "--as-email", world.coordinator.email)

    assert result.exit_code == 0, result.output
    with app.app_context():
        clients = {c.full_name: c.id for c in db.session.scalars(
            select(Client).where(Client.full_name.like("Audit %")))}
        for name, client_id in clients.items():
            events = db.session.scalars(select(AuditEvent).where(
                AuditEvent.client_id == client_id).order_by(AuditEvent.id)).all()
            consents = db.session.scalars(select(Consent).where(
                Consent.client_id == client_id).order_by(Consent.id)).all()
            assert [e.action for e in events] == ["client.create"] + ["consent.give"] * len(
                consents), name
            assert all(e.actor_id == world.coordinator.id and e.actor_role == "coordinator"
                       and e.via == "cli" for e in events)
            assert (events[0].subject_type, events[0].subject_id) == ("client", str(client_id))
            assert events[0].detail == {"programme_id": world.programme.id, "forced": False}
            for given, consent in zip(events[1:], consents, strict=True):
                assert (given.subject_type, given.subject_id) == ("consent", str(consent.id))
                assert given.detail == {"purpose": consent.purpose.value,
                                        "organisation_id": consent.organisation_id,
                                        "contact_id": None}
                assert consent.recorded_by_id == world.coordinator.id
        share = db.session.scalar(select(Consent).where(
            Consent.client_id == clients["Audit One"],
            Consent.purpose == ConsentPurpose.SHARE_INFORMATION))
        assert share.organisation_id == world.gp.id
        assert db.session.scalar(select(func.count()).select_from(Consent).where(
            Consent.client_id == clients["Audit Two"])) == 0
    [imported] = import_events(app)
    assert imported.actor_id == world.coordinator.id
    assert imported.detail == {"rows": 3, "imported": 3, "bad": 0, "skip_bad": False,
                               "programme_id": world.programme.id}


def test_a_refused_import_leaves_only_its_own_audit_event(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    path = write(tmp_path, [person("Kept Then Dropped"), person("Another"),
                            person("Bad Row", phone="x")])
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    [imported] = import_events(app)
    assert imported.detail["imported"] == 0 and imported.detail["bad"] == 1


def test_a_2500_row_file_spans_batches_and_every_row_arrives(app, world, tmp_path):
    rows = [person(f"Many Person {i:04d}", phone="", date_of_birth=f"{1930 + i % 60}-01-"
                   f"{1 + i % 28:02d}", contact_name=f"Kin {i}" if i % 500 == 0 else "",
                   contact_email="kin@example.org" if i % 500 == 0 else "")
            for i in range(2500)]
    path = write(tmp_path, rows)
    before = client_count(app)

    result = run(app, path, "--programme", str(world.programme.id))

    assert result.exit_code == 0, result.output
    assert "2500 imported, 0 skipped" in result.stdout
    assert client_count(app) == before + 2500
    with app.app_context():
        ours = select(Client.id).where(Client.full_name.like("Many Person %"))

        def count(model, column, **where):
            query = select(func.count()).select_from(model).where(column.in_(ours))
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return db.session.scalar(query)

        assert count(ProgrammeEnrolment, ProgrammeEnrolment.client_id,
                     programme_id=world.programme.id) == 2500
        assert count(Consent, Consent.client_id, purpose=ConsentPurpose.TAKE_PART) == 2500
        assert count(Contact, Contact.client_id) == 5
        assert count(AuditEvent, AuditEvent.client_id, action="client.create") == 2500
        assert count(AuditEvent, AuditEvent.client_id, action="consent.give") == 2500


def test_progress_counts_every_line_once(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    rows = [person(f"Progress {i}", notes="two\nlines" if i == 2 else "") for i in range(5)]
    path = write(tmp_path, rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n")  # a trailing blank line counts too
    steps: list[int] = []
    with app.app_context():
        actor = db.session.merge(world.admin)
        result = importer.import_clients(actor, path, programme_id=world.programme.id,
                                         progress=steps.append)
        db.session.rollback()

    assert result.created == 5
    assert sum(steps) == importer.count_lines(path) == 8
    assert all(step > 0 for step in steps) and len(steps) == 4  # header, 3 batches
