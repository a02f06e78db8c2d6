"""Writing a batch of checked import rows: duplicates and programmes settled for the whole batch
in a few queries, then every kept row written by one multi-row insert per table.

A batch is written inside a savepoint. Should the database refuse it (a row broke a constraint
the checks did not foresee), the savepoint is rolled back and the batch is done again row by row,
each in its own savepoint, so the refused row is reported by its line and leaves no trace.
"""

from __future__ import annotations

import logging
from collections import ChainMap
from collections.abc import MutableMapping

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import DataError, IntegrityError

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.consent.models import Consent
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, ContactReceives
from outreach.errors import APIError
from outreach.people import services
from outreach.people.import_rows import CheckedRow, explain
from outreach.people.models import Client, Contact, ProgrammeEnrolment

log = logging.getLogger(__name__)


class BatchWriter:
    """Sorts each batch into kept and bad rows, in line order, and writes the kept ones."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.actor_id, self.actor_role = actor.id, str(actor.role or "")
        # Duplicate keys of rows already written -> their line (the file's own duplicate rule).
        self.seen: dict[tuple, int] = {}
        # Programme id -> None when the actor may import into it, else why not.
        self.programmes: dict[int, str | None] = {}

    def write(self, batch: list[CheckedRow]) -> tuple[int, list[tuple[int, str]]]:
        """Write the good rows of `batch`; answers (rows written, [(line, reason)] refused)."""
        known = self._known_keys([row for row in batch if row.problem is None])
        fresh: ChainMap = ChainMap({}, self.seen)
        kept, bad = self._sort(batch, known, fresh, alone=False)
        try:
            with db.session.begin_nested():
                self._insert(kept)
        except (IntegrityError, DataError):
            # Rolled back to before the batch: find the row at fault by writing one at a time.
            kept, bad = self._sort(batch, known, self.seen, alone=True)
        else:
            self.seen.update(fresh.maps[0])
        return len(kept), bad

    def _sort(self, batch: list[CheckedRow], known: set[tuple],
              seen: MutableMapping[tuple, int], *, alone: bool):
        kept: list[CheckedRow] = []
        bad: list[tuple[int, str]] = []
        for row in batch:
            problem = row.problem or self._problem(row, known, seen)
            if problem is None and alone:
                problem = self._insert_alone(row)
            if problem is not None:
                bad.append((row.line, problem))
                continue
            kept.append(row)
            for key in row.keys:
                seen.setdefault(key, row.line)
        return kept, bad

    def _problem(self, row: CheckedRow, known: set[tuple],
                 seen: MutableMapping[tuple, int]) -> str | None:
        # The order of the checks is the order the API makes them, so a row breaking several
        # rules is reported for the same one.
        for key in row.keys:
            if key in seen:
                why = "same phone" if key[1] == "phone" else "same name and date of birth"
                return f"duplicate of line {seen[key]} in this file ({why})."
        programme_id = row.client["programme_id"]
        if programme_id not in self.programmes:
            try:
                services.managed_programme(self.actor, programme_id)
                self.programmes[programme_id] = None
            except APIError as exc:
                self.programmes[programme_id] = explain(exc)
        if self.programmes[programme_id] is not None:
            return self.programmes[programme_id]
        if known.isdisjoint(row.keys):
            return None
        # Only a row that may match someone already enrolled pays for the service's own query.
        client = row.client
        matches = services.possible_duplicates(programme_id, client["full_name"],
                                               client["date_of_birth"], client["phone"])
        if not matches:
            return None
        found = ", ".join(f"client {match.id} ({reason})" for match, reason in matches)
        return f"possible duplicate of an existing client: {found}."

    def _known_keys(self, rows: list[CheckedRow]) -> set[tuple]:
        """Duplicate keys of `rows` that clients already in the database also have."""
        known: set[tuple] = set()
        for programme_id in {row.client["programme_id"] for row in rows}:
            mine = [row.client for row in rows if row.client["programme_id"] == programme_id]
            phones = {c["phone"] for c in mine if c["phone"]}
            born = [c for c in mine if c["date_of_birth"] is not None]
            if not phones and not born:
                continue
            # The same test as services.possible_duplicates, for many rows in one query.
            in_programme = or_(
                Client.programme_id == programme_id,
                Client.id.in_(select(ProgrammeEnrolment.client_id)
                              .where(ProgrammeEnrolment.programme_id == programme_id)))
            lower_name = func.lower(Client.full_name)
            same = or_(Client.phone.in_(phones), and_(
                lower_name.in_({c["full_name"].lower() for c in born}),
                Client.date_of_birth.in_({c["date_of_birth"] for c in born})))
            query = select(Client.phone, lower_name, Client.date_of_birth).where(in_programme,
                                                                                  same)
            for phone, name, birth in db.session.execute(query):
                if phone:
                    known.add((programme_id, "phone", phone))
                if birth is not None:
                    known.add((programme_id, "name", name, birth))
        return known

    def _insert_alone(self, row: CheckedRow) -> str | None:
        try:
            with db.session.begin_nested():
                self._insert([row])
        except (IntegrityError, DataError) as exc:
            # The exception's text quotes the row's values: log only what kind of refusal it was.
            log.warning("Import row at line %d refused by the database (%s)", row.line,
                        type(exc).__name__)
            return "the database refused this row."
        return None

    def _insert(self, rows: list[CheckedRow]) -> None:
        """Each table's rows for the whole batch in one multi-row INSERT; ids come back in order."""
        if not rows:
            return
        ids = db.session.scalars(insert(Client).returning(Client.id, sort_by_parameter_order=True),
                                 [row.client for row in rows]).all()
        db.session.execute(insert(ProgrammeEnrolment), [
            {"client_id": client_id, "programme_id": row.client["programme_id"]}
            for client_id, row in zip(ids, rows, strict=True)])
        contacts = [_contact(client_id, contact) for client_id, row in zip(ids, rows, strict=True)
                    for contact in row.contacts]
        if contacts:
            db.session.execute(insert(Contact), contacts)
        now = utcnow()
        consents = [_consent(client_id, consent, self.actor_id, now)
                    for client_id, row in zip(ids, rows, strict=True)
                    for consent in row.consents]
        consent_ids = db.session.scalars(
            insert(Consent).returning(Consent.id, sort_by_parameter_order=True),
            consents).all() if consents else []
        events, given = [], iter(zip(consent_ids, consents, strict=True))
        for client_id, row in zip(ids, rows, strict=True):
            # What services.create_client and consent.services.record_consent each record.
            events.append(self._event("client.create", "client", client_id, client_id, {
                "programme_id": row.client["programme_id"], "forced": False}))
            for consent_id, consent in (next(given) for _ in row.consents):
                events.append(self._event("consent.give", "consent", consent_id, client_id, {
                    "purpose": consent["purpose"].value,
                    "organisation_id": consent["organisation_id"], "contact_id": None}))
        db.session.execute(insert(AuditEvent), events)

    def _event(self, action: str, subject_type: str, subject_id: int, client_id: int,
               detail: dict) -> dict:
        # The fields audit.services.record fills in, for the command line (no request, no IP).
        return {"actor_id": self.actor_id, "actor_role": self.actor_role, "action": action,
                "subject_type": subject_type, "subject_id": str(subject_id),
                "client_id": client_id, "via": "cli", "ip_address": "", "detail": detail}


def _contact(client_id: int, data: dict) -> dict:
    # The columns services._new_contact fills from a checked ContactIn.
    return {"client_id": client_id, "name": data["name"],
            "relationship_to_client": data.get("relationship", ""), "phone": data.get("phone"),
            "email": data.get("email"),
            "preferred_language": data.get("preferred_language", "en"),
            "receives_visit_reports": ContactReceives.VISIT_REPORTS in data["receives"],
            "receives_alerts": ContactReceives.ALERTS in data["receives"]}


def _consent(client_id: int, data: dict, actor_id: int, now) -> dict:
    # The columns consent.services.record_consent fills from a checked ConsentIn; the client is
    # new, so no earlier consent can already be active.
    return {"client_id": client_id, "purpose": ConsentPurpose(data["purpose"]),
            "organisation_id": data.get("organisation_id"), "contact_id": None,
            "given_by": data.get("given_by") or "client", "given_at": data.get("given_at") or now,
            "recorded_by_id": actor_id, "note": data.get("note", "")}
