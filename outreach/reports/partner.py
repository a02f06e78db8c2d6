"""Monthly partner reports: what one organisation did with the escalations it received.

A partner is an organisation that receives escalations: a health or community organisation,
or an operator (its coordinators' own queue). Designated contacts are people, not partners,
and have no report. An escalation counts in the month it was *received* (made), in its
programme's time zone, so one partner's month is exact even across programmes in several
zones. Every figure is an aggregate query; only the outcomes list walks rows, and it is capped.

Who asks decides which programmes count (`escalations.access.escalation_filter`): an admin
all, a coordinator their operator's programmes, a provider every programme that sent to their
own organisation. Rates are out of the escalations received, so one never acknowledged counts
against the SLA; times are hours from when the escalation was made (nearest-rank percentiles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select

from outreach.db import db, utcnow
from outreach.enums import EscalationEventKind, EscalationStatus, NeedCategory, NeedSeverity
from outreach.errors import ValidationFailed
from outreach.escalations import disclosure
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.redaction import redact_contact_details
from outreach.reports.ranges import EARLIEST, percent
from outreach.reports.sql import hours, local_midnight, percentiles, seconds_between

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
OUTCOMES_SHOWN = 500  # the outcomes list is capped: a partner's month rarely comes near it
RATINGS = (1, 2, 3, 4, 5)
REDACTED = "[client]"

# --- The month --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; its instants depend on the time zone it is read in."""

    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def following(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The UTC instants the month starts and the next one starts, in `zone`."""
        tz = ZoneInfo(zone)
        return local_midnight(self.first, tz), local_midnight(self.following.first, tz)


def this_month(now: datetime | None = None) -> Month:
    """The current month (UTC: a partner's programmes may sit in several zones)."""
    now = now or utcnow()
    return Month(now.year, now.month)


def parse_month(text: str | None, now: datetime | None = None) -> Month:
    """YYYY-MM, from 2000 to the current month (422 otherwise)."""
    found = MONTH.fullmatch((text or "").strip())
    month = Month(int(found[1]), int(found[2])) if found else None
    if month is None or not 1 <= month.month <= 12:
        raise ValidationFailed("Give the month as YYYY-MM, for example 2026-03.",
                               fields={"month": ["Give the month as YYYY-MM."]})
    if not Month(EARLIEST.year, 1) <= month <= this_month(now):
        raise ValidationFailed("There is no report for that month yet.",
                               fields={"month": [f"Choose a month from {EARLIEST.year} to now."]})
    return month


# --- The figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One partner's month in a line: what came in, how fast it was dealt with, how useful."""

    received: int = 0
    acknowledged: int = 0
    acknowledged_in_time: int = 0  # at or before its acknowledge-by time
    passed_on: int = 0  # not acknowledged in time: passed to the next tier
    resolved: int = 0
    resolved_in_time: int = 0  # at or before its resolve-by time
    open_at_end: int = 0  # neither resolved nor reassigned by the month's end
    acknowledge_median: float | None = None  # hours
    acknowledge_p90: float | None = None
    resolve_median: float | None = None
    resolve_p90: float | None = None
    rated: int = 0
    usefulness_mean: float | None = None

    @property
    def acknowledged_in_time_rate(self) -> float | None:
        return percent(self.acknowledged_in_time, self.received)

    @property
    def resolved_in_time_rate(self) -> float | None:
        return percent(self.resolved_in_time, self.received)


@dataclass(frozen=True)
class OutcomeRow:
    resolved_at: datetime
    timezone: str
    category: str
    severity: str
    outcome: str
    note: str  # as the partner wrote it, the client's name and number taken out


@dataclass(frozen=True)
class Report:
    organisation: Organisation
    month: Month
    generated_at: datetime
    headline: Headline
    previous: Headline
    by_severity: list[tuple[str, int]]
    by_category: list[tuple[str, int]]  # categories with at least one, most first
    ratings: dict[int, int]  # 1..5 -> escalations rated so
    outcomes: list[OutcomeRow]
    partial: bool  # the current month, still under way
    zones: list[str]

    @property
    def outcomes_left_out(self) -> int:
        return max(self.headline.resolved - len(self.outcomes), 0)


@dataclass(frozen=True)
class PartnerRow:
    organisation: Organisation
    headline: Headline
    previous: Headline


# --- The month's conditions, zone by zone ------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    month: Month
    zones: tuple[str, ...]
    now: datetime

    def _each(self, make) -> ColumnElement[bool]:
        parts = []
        for zone in self.zones:
            start, end = self.month.bounds(zone)
            parts.append(and_(Programme.timezone == zone, make(start, min(end, self.now))))
        return or_(*parts) if parts else false()

    def received(self) -> ColumnElement[bool]:
        """Made during the month, programme time."""
        return self._each(lambda start, end: and_(Escalation.created_at >= start,
                                                  Escalation.created_at < end))

    def open_at_end(self) -> ColumnElement[bool]:
        """Not resolved by the month's end (or now), nor handed to someone else by then."""
        def still_open(start, end):
            reassigned_later = exists(select(EscalationEvent.id).where(
                EscalationEvent.escalation_id == Escalation.id,
                EscalationEvent.kind == EscalationEventKind.REASSIGNED,
                EscalationEvent.at >= end))
            return and_(or_(Escalation.resolved_at.is_(None), Escalation.resolved_at >= end),
                        or_(Escalation.status != EscalationStatus.REASSIGNED, reassigned_later))

        return self._each(still_open)


def _window(month: Month, now: datetime) -> _Window:
    zones = tuple(db.session.scalars(select(Programme.timezone).distinct()
                                     .order_by(Programme.timezone)))
    return _Window(month, zones, now)


def _base(scope: ColumnElement[bool], window: _Window, organisation_id: int | None):
    conditions = [scope, Escalation.organisation_id.is_not(None), window.received()]
    if organisation_id is not None:
        conditions.append(Escalation.organisation_id == organisation_id)
    return conditions


def headlines(scope: ColumnElement[bool], month: Month, *, organisation_id: int | None = None,
              now: datetime | None = None) -> dict[int, Headline]:
    """Each partner's headline figures for the month, by organisation id."""
    window = _window(month, now or utcnow())
    where = _base(scope, window, organisation_id)

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    key = Escalation.organisation_id
    rows = db.session.execute(
        select(key.label("key"), func.count().label("received"),
               counted(Escalation.acknowledged_at.is_not(None)).label("acknowledged"),
               counted(Escalation.acknowledged_at <= Escalation.due_at)
               .label("acknowledged_in_time"),
               counted(Escalation.escalated_at.is_not(None)).label("passed_on"),
               counted(Escalation.resolved_at.is_not(None)).label("resolved"),
               counted(Escalation.resolved_at <= Escalation.resolve_due_at)
               .label("resolved_in_time"),
               counted(window.open_at_end()).label("open_at_end"),
               func.count(Escalation.usefulness).label("rated"),
               func.avg(Escalation.usefulness).label("usefulness_mean"))
        .join(Programme, Programme.id == Escalation.programme_id)
        .where(*where).group_by(key)).all()

    def spread(end) -> dict:
        values = (select(key.label("key"), seconds_between(Escalation.created_at, end)
                         .label("value"))
                  .join(Programme, Programme.id == Escalation.programme_id)
                  .where(*where).subquery())
        return {r.key: r for r in db.session.execute(percentiles(values, keys=["key"]))}

    acknowledge, resolve = spread(Escalation.acknowledged_at), spread(Escalation.resolved_at)
    made = {}
    for r in rows:
        a, s = acknowledge.get(r.key), resolve.get(r.key)
        made[r.key] = Headline(
            *(int(getattr(r, name)) for name in (
                "received", "acknowledged", "acknowledged_in_time", "passed_on", "resolved",
                "resolved_in_time", "open_at_end")),
            hours(a and a.p50), hours(a and a.p90), hours(s and s.p50), hours(s and s.p90),
            int(r.rated), None if r.usefulness_mean is None else round(float(r.usefulness_mean), 2))
    return made


def partners(scope: ColumnElement[bool], month: Month, now: datetime | None = None
             ) -> list[PartnerRow]:
    """Every partner that received an escalation in the month or the one before, by name."""
    now = now or utcnow()
    current, previous = headlines(scope, month, now=now), headlines(scope, month.previous, now=now)
    ids = {*current, *previous}
    found = db.session.scalars(select(Organisation).where(Organisation.id.in_(ids))).all()
    rows = [PartnerRow(o, current.get(o.id, Headline()), previous.get(o.id, Headline()))
            for o in found]
    return sorted(rows, key=lambda r: (r.organisation.name.casefold(), r.organisation.id))


def build(scope: ColumnElement[bool], organisation: Organisation, month: Month,
          now: datetime | None = None) -> Report:
    """The partner's report for the month, with the month before for comparison."""
    now = now or utcnow()
    window = _window(month, now)
    where = _base(scope, window, organisation.id)

    def grouped(column) -> dict:
        return dict(db.session.execute(
            select(column, func.count()).join(Programme, Programme.id == Escalation.programme_id)
            .where(*where).group_by(column)).tuples().all())

    severities = grouped(Escalation.severity)
    categories = grouped(Escalation.category)
    ratings = grouped(Escalation.usefulness)
    return Report(
        organisation=organisation, month=month, generated_at=now,
        headline=headlines(scope, month, organisation_id=organisation.id, now=now)
        .get(organisation.id, Headline()),
        previous=headlines(scope, month.previous, organisation_id=organisation.id, now=now)
        .get(organisation.id, Headline()),
        by_severity=[(str(s), int(severities.get(s, 0))) for s in NeedSeverity],
        by_category=sorted(((str(c), int(n)) for c, n in categories.items()),
                           key=lambda item: (-item[1], list(NeedCategory).index(item[0]))),
        ratings={n: int(ratings.get(n, 0)) for n in RATINGS},
        outcomes=outcomes(where), partial=month == this_month(now),
        zones=list(db.session.scalars(
            select(Programme.timezone).distinct().join(
                Escalation, Escalation.programme_id == Programme.id)
            .where(*where).order_by(Programme.timezone))))


def outcomes(where: list, limit: int = OUTCOMES_SHOWN) -> list[OutcomeRow]:
    """The month's resolved escalations, oldest resolve first, without the client's name; and
    without the note at all where the client withdrew consent to share with the partner."""
    rows = db.session.execute(
        select(Escalation.resolved_at, Programme.timezone, Escalation.category,
               Escalation.severity, Escalation.outcome, Escalation.outcome_note,
               Escalation.client_id, Escalation.organisation_id, Client.full_name, Client.phone)
        .join(Programme, Programme.id == Escalation.programme_id)
        .join(Client, Client.id == Escalation.client_id)
        .where(*where, Escalation.resolved_at.is_not(None))
        .order_by(Escalation.resolved_at, Escalation.id).limit(limit)).all()
    withdrawn = _withdrawn(rows)
    return [OutcomeRow(r.resolved_at, r.timezone, str(r.category), str(r.severity),
                       str(r.outcome or "other"),
                       "" if (r.organisation_id, r.client_id) in withdrawn
                       else redact(r.outcome_note, r.full_name, r.phone))
            for r in rows]


def _withdrawn(rows) -> set[tuple[int, int]]:
    """(organisation, client) pairs among `rows` whose sharing was withdrawn (the one rule:
    escalations.disclosure)."""
    pairs: dict[int, set[int]] = {}
    for row in rows:
        if row.organisation_id is not None:
            pairs.setdefault(row.organisation_id, set()).add(row.client_id)
    return {(organisation, client) for organisation, clients in pairs.items()
            for client, verdict in disclosure.judge_many(organisation, clients).items()
            if verdict.withdrawn is not None}


def redact(note: str, full_name: str, phone: str | None) -> str:
    """The note without the client's name (whole or any part of 3 letters or more) or number,
    nor anyone's phone number, email address or postcode.

    A partner's staff write these notes for the coordinator; the report goes to the partner's
    managers, who have no need of the client's identity or their family's contact details.
    """
    words = sorted({full_name.strip(), *(w for w in re.split(r"[\s\-']+", full_name)
                                         if len(w) >= 3)}, key=len, reverse=True)
    text = note or ""
    for word in filter(None, words):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    digits = re.sub(r"\D", "", phone or "")[-10:]
    if len(digits) >= 6:
        # The number in any spacing: national (0...) or international (+44, 0044).
        spaced = r"[\s\-().]*".join(re.escape(d) for d in digits)
        text = re.sub(rf"(?:(?:\+|00)\d{{1,3}}[\s\-().]*)?0?{spaced}(?!\d)", REDACTED, text)
    return redact_contact_details(text)


def generated_label(report: Report) -> str:
    """When the report was made, in the partner's programmes' zone (UTC when several)."""
    zone = report.zones[0] if len(report.zones) == 1 else "UTC"
    local = report.generated_at.astimezone(ZoneInfo(zone) if zone != "UTC" else UTC)
    return f"{local.day} {local:%B %Y, %H:%M} ({zone})"
