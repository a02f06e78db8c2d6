"""Subject access and erasure cover every table that refers to a client.

The tables are found from the SQLAlchemy metadata (foreign keys from `clients`, through any
chain), not from a list: a table added later that holds a client's rows fails here, named,
until its feature declares it (its personal_data.declare, from its init_app).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, select

from outreach.audit.models import AuditEvent
from outreach.audit.services import record
from outreach.db import db, hand_over_committed, utcnow
from outreach.enums import ConsentPurpose
from outreach.escalations.models import EscalationEvent, WebhookDelivery
from outreach.messages.models import MessageEvent, SmsNumber
from outreach.people import subject_access
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.selfreport.models import SelfReportLink
from outreach.visits.models import MissedVisit
from tests import factories
from tests.evaluation import factories as measures
from tests.literacy import factories as literacy


def referring(metadata) -> set[str]:
    """Every table whose foreign keys lead to `clients`, directly or through other tables."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for table in metadata.tables.values():
            if table.name in found or table.name == "clients":
                continue
            if any(fk.column.table.name in found | {"clients"} for fk in table.foreign_keys):
                found.add(table.name)
                changed = True
    return found


def uncovered(metadata) -> dict[str, set[str]]:
    """The tables referring to a client that the export, or erasure, leaves out."""
    tables = referring(metadata)
    return {"export": tables - subject_access.exported_tables(),
            "erasure": tables - subject_access.erased_tables()}


def test_every_table_that_refers_to_a_client_is_exported_and_erased(app):
    tables = referring(db.metadata)
    # The walk finds the chains too, not only the direct references.
    assert {"visits", "message_events", "escalation_events", "webhook_deliveries",
            "attendance", "skills_shown", "escalation_needs"} <= tables
    assert uncovered(db.metadata) == {"export": set(), "erasure": set()}
    assert "clients" in subject_access.exported_tables()


def test_every_table_with_a_client_id_is_exported(app):
    """Tables that keep a client's id without a foreign key (the audit trail) are in too."""
    with_id = {table.name for table in db.metadata.tables.values() if "client_id" in table.c}
    assert "audit_events" in with_id
    assert with_id - subject_access.exported_tables() == set()


def test_a_table_added_later_is_named_until_its_feature_declares_it(app):
    metadata = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    Table("garden_visits", metadata, Column("id", Integer, primary_key=True),
          Column("visit_id", ForeignKey("visits.id")))
    Table("garden_photos", metadata, Column("id", Integer, primary_key=True),
          Column("garden_visit_id", ForeignKey("garden_visits.id")))
    assert uncovered(metadata) == {"export": {"garden_visits", "garden_photos"},
                                   "erasure": {"garden_visits", "garden_photos"}}


# --- A client with something in every table ---------------------------------------------


def _fill(world, client: Client) -> None:
    """Give `client` at least one row in every table that can refer to a client."""
    now = utcnow()
    contact = factories.contact(client, name="Dora Daughter", receives_alerts=True)
    factories.consent(client)
    factories.consent(client, ConsentPurpose.SHARE_INFORMATION, contact_id=contact.id)
    factories.consent(client, ConsentPurpose.SHARE_INFORMATION, organisation_id=world.gp.id)
    factories.visit_plan(client)
    factories.pause(client, date(2026, 1, 5), date(2026, 1, 9), reason="hospital stay")
    visit = factories.visit(client, world.visitor, "seen_concern", note="Seemed low")
    db.session.add(MissedVisit(client_id=client.id, round_id=client.round_id,
                               due_on=date(2026, 1, 2)))
    need = factories.need(client, visit_id=visit.id)
    factories.appointment(client, now + timedelta(days=3), notes="Bring glasses")
    factories.prescription(client, world.gp, visit_id=visit.id)
    sent = factories.message(client, body="Hello Mary", need_id=need.id)
    db.session.add(MessageEvent(message_id=sent.id, status="queued"))
    factories.message(client, contact_id=contact.id, phone=contact.phone, body="Mary is well")
    escalation = factories.escalation(client, world.gp, need=need)
    factories.escalation(client, contact=contact, category="fall", severity="urgent")
    event = db.session.scalar(select(EscalationEvent).where(
        EscalationEvent.escalation_id == escalation.id))
    event.note = "Called the daughter"
    db.session.add(WebhookDelivery(organisation_id=world.gp.id, event_id=event.id))
    db.session.add(SelfReportLink(client_id=client.id, token_digest=f"{client.id:064d}",
                                  expires_at=now + timedelta(days=7)))
    course = literacy.literacy_programme(world.operator)
    literacy.join(client, course)
    workshop = literacy.workshop(course, world.tutor)
    session = literacy.session(workshop)
    enrolment = literacy.enrolment(workshop, client, need_id=need.id)
    literacy.attendance(session, enrolment)
    literacy.skill_shown(enrolment, literacy.skill(course), session_id=session.id)
    measures.outcome_measure(client, visit_id=visit.id)
    record(None, "client.read", subject=client, client_id=client.id, detail={"for": "test"})
    factories.sms_number(client.phone, invalid=True)
    db.session.flush()


def owned_rows(client_id: int) -> dict[str, list[dict]]:
    """Each referring table's rows that are the client's, found by following the foreign keys
    from the client's row (read back table by table, independently of subject_access)."""
    tables = {name: db.metadata.tables[name] for name in referring(db.metadata)}
    everything = {name: [dict(r._mapping) for r in db.session.execute(select(table))]
                  for name, table in tables.items()}
    owned: dict[str, list[dict]] = {"clients": [{"id": client_id}]}
    changed = True
    while changed:
        changed = False
        for name, table in tables.items():
            mine = []
            for row in everything[name]:
                for fk in table.foreign_keys:
                    target = fk.column.table.name
                    if target == name or target not in owned:
                        continue
                    if row[fk.parent.name] in {r[fk.column.name] for r in owned[target]}:
                        mine.append(row)
                        break
            if len(mine) != len(owned.get(name, [])):
                owned[name] = mine
                changed = True
    owned.pop("clients")
    return {name: owned.get(name, []) for name in tables}


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["outreach", *args])


def test_export_holds_and_erasure_removes_every_row_in_every_table(app, world):
    with app.app_context():
        mary = db.session.merge(world.client_on_round)
        other = db.session.merge(world.client_off_round)
        _fill(world, mary)
        _fill(world, other)
        db.session.commit()
        # As the end of a request does (erase-client will too): texts sent, events placed.
        hand_over_committed()
        before = owned_rows(mary.id)
        others_before = owned_rows(other.id)
        phone = mary.phone
    empty = sorted(name for name, rows in before.items() if not rows)
    assert not empty, f"the test client has nothing in {empty}: give them a row there"

    exported = _invoke(app, "export-client", str(mary.id))
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    by_table = {next(iter(tables)): name for name, tables in subject_access._exported.items()
                if len(tables) == 1}
    for table, rows in before.items():
        section = data[by_table[table]]
        assert section, table
        key = "id" if "id" in rows[0] else next(iter(rows[0]))
        assert sorted(str(r[key]) for r in section) == sorted(str(r[key]) for r in rows), table
    assert data["export"]["sections"] == list(subject_access._sections)
    assert any(m["body"] == "Mary is well" for m in data["messages"])
    assert any(e["note"] == "Called the daughter" for e in data["escalation_events"])
    assert all("token_digest" not in link for link in data["self_report_links"])
    assert data["workshop_enrolments"][0]["workshop_title"].startswith("Workshop")
    assert [n["invalid_code"] for n in data["sms_number"]] == [21211]

    erased = _invoke(app, "erase-client", str(mary.id), "--yes")
    assert erased.exit_code == 0, erased.output
    with app.app_context():
        after = owned_rows(mary.id)
        assert {name: rows for name, rows in after.items() if rows} == {}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.erase",
                                                           AuditEvent.client_id == mary.id))
        # The summary counts exactly the rows that were there, table by table.
        counts = {name: n for name, n in event.detail.items()
                  if not name.startswith("audit_events")}
        assert counts == {"clients": 1, "sms_numbers": 1,
                          **{name: len(rows) for name, rows in before.items()}}
        assert db.session.scalar(select(SmsNumber).where(SmsNumber.phone == phone)) is None
        assert db.session.get(Client, mary.id) is None
        kept = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.client_id == mary.id))
        assert event.detail["audit_events_kept"] == kept - 1  # all but the erasure's own
        # The other client keeps every row.
        assert owned_rows(other.id) == others_before
        assert db.session.scalar(select(func.count()).select_from(ProgrammeEnrolment)
                                 .where(ProgrammeEnrolment.client_id == other.id)) == 2
    for table, rows in before.items():
        assert f"{len(rows)} {table}" in erased.output, table


def test_the_confirmation_lists_what_will_go_by_table(app, world):
    with app.app_context():
        mary = db.session.merge(world.client_on_round)
        _fill(world, mary)
        db.session.commit()
        before = owned_rows(mary.id)
    refused = app.test_cli_runner().invoke(args=["outreach", "erase-client", str(mary.id)],
                                           input="n\n")
    assert refused.exit_code != 0
    total = sum(len(rows) for rows in before.values()) + 1  # and what is known of the number
    assert f"Erase client {mary.id} and {total} related record(s)" in refused.output
    assert f"{len(before['messages'])} messages" in refused.output
    with app.app_context():
        assert owned_rows(mary.id) == before


def test_an_opt_out_outlives_erasure_so_the_number_is_never_texted_again(app, world):
    with app.app_context():
        mary = db.session.merge(world.client_on_round)
        factories.sms_number(mary.phone, opted_out=True)
        db.session.commit()
        phone, mary_id = mary.phone, mary.id
    assert _invoke(app, "erase-client", str(mary_id), "--yes").exit_code == 0
    with app.app_context():
        kept = db.session.scalar(select(SmsNumber).where(SmsNumber.phone == phone))
        assert kept is not None and kept.opted_out


# --- Any mix of records: the summary is what was deleted, and nothing is left ----------------

KINDS = ("contacts", "visits", "needs", "messages", "escalations", "appointments",
         "prescriptions", "measures")


def _some(world, client: Client, how_many: dict[str, int]) -> None:
    contacts = [factories.contact(client) for _ in range(how_many["contacts"])]
    visits = [factories.visit(client, world.visitor) for _ in range(how_many["visits"])]
    for i in range(how_many["needs"]):
        factories.need(client, visit_id=visits[i % len(visits)].id if visits else None)
    for i in range(how_many["messages"]):
        message = factories.message(client, contact_id=contacts[i].id if i < len(contacts)
                                    else None)
        db.session.add(MessageEvent(message_id=message.id, status="queued"))
    for i in range(how_many["escalations"]):
        factories.escalation(client, world.gp, category=("transport", "money", "loneliness")[i])
    for _ in range(how_many["appointments"]):
        factories.appointment(client, utcnow() + timedelta(days=2))
    for _ in range(how_many["prescriptions"]):
        factories.prescription(client, world.gp)
    for _ in range(how_many["measures"]):
        measures.outcome_measure(client)
    db.session.flush()


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({kind: st.integers(min_value=0, max_value=3) for kind in KINDS}))
def test_erasure_counts_exactly_what_it_deletes_for_any_mix_of_records(ctx, world, how_many):
    # A fresh client each example, beside one with records of every kind that must stay.
    client = factories.client(db.session.merge(world.programme))
    neighbour = factories.client(db.session.merge(world.programme))
    _some(world, client, how_many)
    _some(world, neighbour, dict.fromkeys(KINDS, 1))
    before, neighbours = owned_rows(client.id), owned_rows(neighbour.id)

    counts = subject_access.erase(client)

    assert {name: n for name, n in counts.items()
            if n and name not in ("clients", "audit_events_kept", "audit_events_scrubbed")} == {
        name: len(rows) for name, rows in before.items() if rows}
    assert counts["clients"] == 1
    assert not any(owned_rows(client.id).values())
    assert owned_rows(neighbour.id) == neighbours
