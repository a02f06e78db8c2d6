"""The anonymised extract: a ZIP of CSV files about one programme for external evaluators.

Nothing that names or reaches a person leaves: no names, phone numbers, addresses, emails,
notes, descriptions, answers' free text or outcome notes; dates of birth become 5-year age
bands; clients and organisations are known by pseudonyms. A pseudonym is an HMAC-SHA256 of the
record's id under a key derived from SECRET_KEY and EXTRACT_PSEUDONYM_SALT: the same client
has the same pseudonym in every extract (so two can be linked), it cannot be turned back into
the id without the key, and a new salt starts a fresh, unlinkable set.

Rows are streamed from the database in batches (`yield_per`, a server-side cursor on
PostgreSQL) straight into the ZIP, so memory stays flat however many visits there are.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, literal, or_, select

from outreach.audit.services import record
from outreach.db import db, utcnow
from outreach.escalations.models import Escalation
from outreach.evaluation.models import ITEM_RANGES, UCLA_ITEMS, OutcomeMeasure
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.reports.extract_readme import readme
from outreach.reports.spreadsheet import safe_cell
from outreach.reports.sql import hours, local_midnight, next_day, seconds_between
from outreach.visits.models import Visit

BATCH = 1000
ITEMS = tuple(ITEM_RANGES)  # the seven wellbeing items, then satisfaction
FILES = ("clients.csv", "visits.csv", "needs.csv", "escalations.csv", "measures.csv")


class Pseudonyms:
    """Stable, keyed pseudonyms: `client(id)` and `organisation(id)`."""

    def __init__(self, secret_key: str, salt: str) -> None:
        self._key = hmac.new(secret_key.encode(), b"outreach extract pseudonyms\x00" +
                             salt.encode(), hashlib.sha256).digest()

    def _of(self, kind: str, record_id: int) -> str:
        digest = hmac.new(self._key, f"{kind}:{record_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def client(self, client_id: int) -> str:
        return "c-" + self._of("client", client_id)

    def organisation(self, organisation_id: int | None) -> str:
        return "" if organisation_id is None else "o-" + self._of("organisation", organisation_id)


def pseudonyms_for(config) -> Pseudonyms:
    """The pseudonyms of this deployment's configuration."""
    return Pseudonyms(str(config["SECRET_KEY"]), str(config["EXTRACT_PSEUDONYM_SALT"]))


def age_band(born: date | None, on: date) -> str:
    """A 5-year band ("65-69"), "90+" from 90, "unknown" without a (believable) birth date."""
    if born is None or born > on:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age >= 90:
        return "90+"
    low = age // 5 * 5
    return f"{low}-{low + 4}"


@dataclass(frozen=True)
class Scope:
    """One programme, optionally narrowed to local dates (both included)."""

    programme: Programme
    start: date | None = None
    end: date | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.programme.timezone)

    def during(self, column) -> list:
        """Conditions: a time column within the dates."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= local_midnight(self.start, self.zone))
        if self.end is not None:
            conditions.append(column < local_midnight(next_day(self.end), self.zone))
        return conditions

    def enrolments(self) -> list:
        """Enrolments in the programme that overlap the dates."""
        conditions = [ProgrammeEnrolment.programme_id == self.programme.id]
        if self.end is not None:
            conditions.append(ProgrammeEnrolment.enrolled_at
                              < local_midnight(next_day(self.end), self.zone))
        if self.start is not None:
            conditions.append(or_(ProgrammeEnrolment.left_at.is_(None),
                                  ProgrammeEnrolment.left_at
                                  >= local_midnight(self.start, self.zone)))
        return conditions

    def client_ids(self) -> Select:
        return select(ProgrammeEnrolment.client_id).where(*self.enrolments())


def write(target: BinaryIO, scope: Scope, pseudonyms: Pseudonyms,
          now: datetime | None = None) -> dict[str, int]:
    """Write the extract as a ZIP into `target`; the rows written, by file."""
    now = now or utcnow()
    today = now.astimezone(scope.zone).date()
    counts = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in _files(scope, pseudonyms, today, now):
            counts[name] = _write_csv(archive, name, header, rows)
        archive.writestr("README.txt", readme(scope.programme, scope.start, scope.end, today,
                                              counts))
    return counts


def audit(actor, scope: Scope, counts: dict[str, int], via: str | None = None) -> None:
    """Record an extract: ids, dates and row counts only."""
    record(actor, "extract.downloaded", subject=scope.programme, via=via, detail={
        "programme_id": scope.programme.id,
        "from": scope.start.isoformat() if scope.start else None,
        "to": scope.end.isoformat() if scope.end else None, "rows": counts})


def _write_csv(archive: zipfile.ZipFile, name: str, header: list[str],
               rows: Iterable[list]) -> int:
    written = 0
    with archive.open(name, "w", force_zip64=True) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            written += 1
    return written


def _stream(query: Select, shape: Callable) -> Iterable[list]:
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield shape(row)


def _local_day(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).date().isoformat()


def _month(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m}"


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _files(scope: Scope, names: Pseudonyms, today: date, now: datetime):
    zone, clients = scope.zone, scope.client_ids()
    yield "clients.csv", ["client", "age_band", "lives_alone", "preferred_language",
                          "enrolled_month", "left_month", "status"], _stream(
        select(Client.id, Client.date_of_birth, Client.lives_alone, Client.preferred_language,
               ProgrammeEnrolment.enrolled_at, ProgrammeEnrolment.left_at,
               ProgrammeEnrolment.status)
        .join(ProgrammeEnrolment, ProgrammeEnrolment.client_id == Client.id)
        .where(*scope.enrolments()).order_by(Client.id),
        lambda r: [names.client(r.id), age_band(r.date_of_birth, today), _yes_no(r.lives_alone),
                   str(r.preferred_language), _month(r.enrolled_at, zone),
                   _month(r.left_at, zone), str(r.status)])
    yield "visits.csv", ["client", "date", "outcome", "prescription_delivered",
                         "appointment_reminded"], _stream(
        select(Visit.client_id, Visit.visited_on, Visit.outcome, Visit.prescription_delivered,
               Visit.appointment_reminded)
        .where(Visit.client_id.in_(clients), *scope.during(Visit.visited_at))
        .order_by(Visit.visited_at, Visit.id),
        lambda r: [names.client(r.client_id), r.visited_on.isoformat(), str(r.outcome),
                   _yes_no(r.prescription_delivered), _yes_no(r.appointment_reminded)])
    yield "needs.csv", ["client", "date", "category", "severity", "source", "status",
                        "days_to_resolve"], _stream(
        select(Need.client_id, Need.created_at, Need.category, Need.severity, Need.source,
               Need.status, seconds_between(Need.created_at, Need.resolved_at).label("took"))
        .where(Need.client_id.in_(clients), *scope.during(Need.created_at))
        .order_by(Need.created_at, Need.id),
        lambda r: [names.client(r.client_id), _local_day(r.created_at, zone), str(r.category),
                   str(r.severity), str(r.source), str(r.status),
                   None if r.took is None else round(r.took / 86400, 1)])
    yield "escalations.csv", [
        "client", "date", "category", "severity", "recipient_kind", "recipient", "tier",
        "status", "hours_to_acknowledge", "acknowledged_in_time", "passed_on",
        "hours_to_resolve", "resolved_in_time", "outcome", "usefulness"], _stream(
        _escalations(scope, clients, now),
        lambda r: [names.client(r.client_id), _local_day(r.created_at, zone), str(r.category),
                   str(r.severity), r.recipient_kind, names.organisation(r.organisation_id),
                   r.tier, str(r.status), hours(r.to_acknowledge), r.acknowledged_in_time,
                   _yes_no(r.passed_on), hours(r.to_resolve), r.resolved_in_time,
                   "" if r.outcome is None else str(r.outcome), r.usefulness])
    yield "measures.csv", ["client", "date", "completed_date", "kind", "source", "declined",
                           *ITEMS, "ucla_total"], _stream(
        select(OutcomeMeasure.client_id, OutcomeMeasure.asked_at, OutcomeMeasure.completed_at,
               OutcomeMeasure.kind, OutcomeMeasure.source, OutcomeMeasure.declined,
               *(getattr(OutcomeMeasure, item) for item in ITEMS))
        .where(OutcomeMeasure.programme_id == scope.programme.id,
               OutcomeMeasure.client_id.in_(clients), *scope.during(OutcomeMeasure.asked_at))
        .order_by(OutcomeMeasure.asked_at, OutcomeMeasure.id),
        lambda r: [names.client(r.client_id), _local_day(r.asked_at, zone),
                   _local_day(r.completed_at, zone), str(r.kind), str(r.source),
                   _yes_no(r.declined), *(getattr(r, item) for item in ITEMS), _ucla_total(r)])


def _ucla_total(row) -> int | None:
    values = [getattr(row, item) for item in UCLA_ITEMS]
    return None if None in values else sum(values)


def _escalations(scope: Scope, clients: Select, now: datetime) -> Select:
    """Each escalation with who it went to as a kind, and how fast it was dealt with."""
    kind = case((Escalation.contact_id.is_not(None), literal("contact")),
                (Escalation.organisation_id == Programme.operator_id, literal("coordinator")),
                (Escalation.organisation_id == Client.gp_practice_id, literal("gp")),
                else_=Organisation.kind)

    def in_time(done, due):
        # Blank while it may still be done in time; "no" once the time has passed without.
        return case((done <= due, literal("yes")), (done.is_not(None), literal("no")),
                    (due <= now, literal("no")), else_=literal(""))

    return (select(Escalation.client_id, Escalation.created_at, Escalation.category,
                   Escalation.severity, kind.label("recipient_kind"),
                   Escalation.organisation_id, Escalation.tier, Escalation.status,
                   seconds_between(Escalation.created_at, Escalation.acknowledged_at)
                   .label("to_acknowledge"),
                   in_time(Escalation.acknowledged_at, Escalation.due_at)
                   .label("acknowledged_in_time"),
                   Escalation.escalated_at.is_not(None).label("passed_on"),
                   seconds_between(Escalation.created_at, Escalation.resolved_at)
                   .label("to_resolve"),
                   in_time(Escalation.resolved_at, Escalation.resolve_due_at)
                   .label("resolved_in_time"),
                   Escalation.outcome, Escalation.usefulness)
            .join(Programme, Programme.id == Escalation.programme_id)
            .join(Client, Client.id == Escalation.client_id)
            .outerjoin(Organisation, Organisation.id == Escalation.organisation_id)
            .where(Escalation.programme_id == scope.programme.id,
                   Escalation.client_id.in_(clients), *scope.during(Escalation.created_at))
            .order_by(Escalation.created_at, Escalation.id))
