"""Subject access (`export-client`) and the right to erasure (`erase-client`)."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import delete, func, select

from outreach.audit.models import AuditEvent
from outreach.audit.services import record
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.people import subject_access
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from tests import factories


@pytest.fixture
def held(app, world):
    """A client with a contact, consents, a second programme and some audit history."""
    with app.app_context():
        client = db.session.merge(world.client_off_round)
        contact = factories.contact(client, name="Dora Daughter", email="dora@example.org")
        factories.consent(client)
        factories.consent(client, ConsentPurpose.SHARE_INFORMATION, organisation_id=world.gp.id)
        factories.consent(client, ConsentPurpose.SHARE_INFORMATION, contact_id=contact.id)
        client.enrolments.append(ProgrammeEnrolment(programme_id=world.other_programme.id))
        record(None, "client.read", subject=client, client_id=client.id, detail={"for": "read"})
        # A careless detail, as a bug elsewhere might write: erasure must scrub it.
        record(None, "client.note", client_id=client.id,
               detail={"name": client.full_name, "phone": client.phone, "count": 2,
                       "fields": ["full_name", "phone"], "who": "dora"})
        db.session.commit()
        return client.id


def invoke(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["outreach", *args], **kwargs)


def counts(app, client_id: int) -> dict:
    with app.app_context():
        def count(model, column):
            return db.session.scalar(select(func.count()).select_from(model)
                                     .where(column == client_id))
        return {"clients": count(Client, Client.id),
                "contacts": count(Contact, Contact.client_id),
                "consents": count(Consent, Consent.client_id),
                "enrolments": count(ProgrammeEnrolment, ProgrammeEnrolment.client_id),
                "audit_events": count(AuditEvent, AuditEvent.client_id)}


def test_export_holds_everything_about_the_client_as_json(app, world, held):
    result = invoke(app, "export-client", str(held))

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["export"]["client_id"] == held
    assert data["export"]["sections"][:5] == ["client", "enrolments", "contacts", "consents",
                                              "audit_events"]
    assert data["client"]["full_name"] == world.client_off_round.full_name
    assert data["client"]["date_of_birth"] == "1940-05-17"
    assert data["client"]["created_at"].endswith("+00:00")
    assert data["client"]["preferred_language"] == "en"
    assert {e["programme_id"] for e in data["enrolments"]} == {world.programme.id,
                                                               world.other_programme.id}
    assert [(c["name"], c["relationship"]) for c in data["contacts"]] == [("Dora Daughter",
                                                                           "daughter")]
    assert {(c["purpose"], c["organisation_name"]) for c in data["consents"]} == {
        ("take_part", None), ("share_information", "Test GP Practice"),
        ("share_information", None)}
    actions = [e["action"] for e in data["audit_events"]]
    assert "client.read" in actions and "client.note" in actions
    assert all("ip_address" not in e for e in data["audit_events"])
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.export"))
    assert event.client_id == held and event.via == "cli"
    assert event.detail["sections"] == data["export"]["sections"]


def test_export_to_a_file_readable_only_by_its_owner(app, held, tmp_path):
    target = tmp_path / "sar.json"
    result = invoke(app, "export-client", str(held), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["client"]["id"] == held
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_sections_registered_by_later_features_are_exported(app, held, monkeypatch):
    monkeypatch.setattr(subject_access, "_sections", dict(subject_access._sections))
    subject_access.register_section("home_repairs", lambda client: [{"client_id": client.id}])
    with pytest.raises(ValueError, match="already taken"):
        subject_access.register_section("home_repairs", lambda client: [])
    with pytest.raises(ValueError, match="already taken"):
        subject_access.register_section("export", lambda client: [])

    data = json.loads(invoke(app, "export-client", str(held)).stdout)

    assert data["home_repairs"] == [{"client_id": held}]
    assert data["export"]["sections"][-1] == "home_repairs"


def test_erase_removes_the_client_and_all_theirs_but_keeps_a_scrubbed_audit_trail(app, world,
                                                                                  held):
    before = counts(app, held)
    assert before == {"clients": 1, "contacts": 1, "consents": 3, "enrolments": 2,
                      "audit_events": 2}

    result = invoke(app, "erase-client", str(held), "--yes")

    assert result.exit_code == 0, result.output
    assert "Erased client" in result.output
    assert world.client_off_round.full_name not in result.output
    after = counts(app, held)
    assert after == {"clients": 0, "contacts": 0, "consents": 0, "enrolments": 0,
                     "audit_events": 3}
    with app.app_context():
        events = {e.action: e for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.client_id == held))}
        assert events["client.read"].detail == {"for": "read"}
        assert events["client.note"].detail == {
            "name": "[erased]", "phone": "[erased]", "count": 2,
            "fields": ["full_name", "phone"], "who": "[erased]"}
        erased = {k: n for k, n in events["client.erase"].detail.items() if n}
        assert erased == {"consents": 3, "contacts": 1, "programme_enrolments": 2,
                          "clients": 1, "audit_events_kept": 2, "audit_events_scrubbed": 1}
        assert events["client.erase"].via == "cli"
        # Other clients are untouched.
        assert db.session.get(Client, world.client_on_round.id) is not None

    gone = invoke(app, "export-client", str(held))
    assert gone.exit_code != 0
    assert f"No client with id {held}." in gone.output
    assert "Traceback" not in gone.output


def test_erase_asks_first_and_no_means_nothing_is_deleted(app, held):
    before = counts(app, held)

    result = invoke(app, "erase-client", str(held), input="n\n")

    assert result.exit_code != 0
    assert f"Erase client {held} and 6 related record(s)" in result.output
    assert "1 contacts" in result.output and "3 consents" in result.output
    assert counts(app, held) == before

    confirmed = invoke(app, "erase-client", str(held), input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert counts(app, held)["clients"] == 0


@pytest.mark.parametrize("command", ["erase-client", "export-client"])
def test_unknown_client_is_refused(app, world, command):
    result = invoke(app, command, "999999", *(["--yes"] if command == "erase-client" else []))
    assert result.exit_code != 0
    assert "No client with id 999999." in result.output


def test_erasers_registered_by_later_features_run_first(app, held, monkeypatch):
    monkeypatch.setattr(subject_access, "_erasers", list(subject_access._erasers))
    calls = []

    def erase_repairs(client):
        # The core rows must still be there when a later feature's eraser runs.
        calls.append(db.session.scalar(select(func.count()).select_from(Contact)
                                       .where(Contact.client_id == client.id)))
        return 4

    subject_access.register_eraser("home_repairs", count=lambda client: 4, erase=erase_repairs)
    with pytest.raises(ValueError, match="already registered"):
        subject_access.register_eraser("home_repairs", Contact)

    result = invoke(app, "erase-client", str(held), "--yes")

    assert result.exit_code == 0, result.output
    assert calls == [1]
    assert "4 home_repairs" in result.output


def test_database_cascades_remove_a_clients_rows(app, held):
    """The foreign keys cascade on their own (SQLite with foreign_keys=ON, and PostgreSQL)."""
    with app.app_context():
        db.session.execute(delete(Client).where(Client.id == held))
        db.session.commit()
    assert counts(app, held) == {"clients": 0, "contacts": 0, "consents": 0, "enrolments": 0,
                                 "audit_events": 2}
