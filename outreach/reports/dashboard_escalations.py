"""Dashboard figures about escalations: how many, how fast, how late, and how useful.

An escalation counts when it was made during the range, for one of the filtered clients. One
passed on to the next tier for want of an acknowledgement is one escalation for the first
recipient (counted as a breach) and a new one for the next. Times are in hours, from when the
escalation was made; percentiles are nearest rank (see `outreach.reports.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, literal, select

from outreach.db import db
from outreach.enums import NeedSeverity
from outreach.escalations.models import Escalation
from outreach.organisations.models import Organisation
from outreach.reports.dashboard import Scope
from outreach.reports.sql import (
    aggregate_percentiles,
    hours,
    percentile_columns,
    percentiles,
    seconds_between,
)

CONTACTS = "Designated contacts"
SEVERITIES = tuple(NeedSeverity)
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Timing:
    """How fast one group of escalations was dealt with, in hours."""

    acknowledge_median: float | None
    acknowledge_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None


@dataclass(frozen=True)
class SeverityRow:
    severity: str
    count: int
    acknowledged: int
    resolved: int
    passed_on: int  # not acknowledged in time: passed to the next tier
    resolved_late: int  # resolved after its resolve-by time, or flagged resolve-overdue
    timing: Timing


@dataclass(frozen=True)
class RecipientRow:
    name: str  # the organisation, or "Designated contacts"
    count: int
    acknowledged: int
    resolved: int
    passed_on: int
    resolved_late: int
    timing: Timing


@dataclass(frozen=True)
class Escalations:
    by_severity: list[SeverityRow]
    by_recipient: list[RecipientRow]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.by_severity)


def _made(scope: Scope) -> list:
    return [Escalation.programme_id == scope.programme.id,
            *scope.narrow(Escalation.client_id), *scope.during(Escalation.created_at)]


def _recipient():
    """Who an escalation went to: the organisation's id, or 0 for the client's contacts."""
    return func.coalesce(Escalation.organisation_id, literal(0))


def _acknowledge():
    return seconds_between(Escalation.created_at, Escalation.acknowledged_at)


def _resolve():
    return seconds_between(Escalation.created_at, Escalation.resolved_at)


def _counted(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counts(key, scope: Scope, *more) -> dict:
    late = (Escalation.resolve_overdue_at.is_not(None)
            | (Escalation.resolved_at > Escalation.resolve_due_at))
    rows = db.session.execute(select(
        key.label("key"), func.count().label("count"),
        _counted(Escalation.acknowledged_at.is_not(None)).label("acknowledged"),
        _counted(Escalation.resolved_at.is_not(None)).label("resolved"),
        _counted(Escalation.escalated_at.is_not(None)).label("passed_on"),
        _counted(late).label("resolved_late"), *more,
    ).where(*_made(scope)).group_by("key"))
    return {r.key: r for r in rows}


def _figures(key, scope: Scope, *more) -> tuple[dict, dict]:
    """(counts and `more` by key, Timing by key): in one query where percentiles are
    aggregates."""
    if aggregate_percentiles():
        counts = _counts(key, scope, *more, *percentile_columns(_acknowledge(), prefix="a"),
                         *percentile_columns(_resolve(), prefix="r"))
        return counts, {k: Timing(hours(r.a50), hours(r.a90), hours(r.r50), hours(r.r90))
                        for k, r in counts.items()}
    return _counts(key, scope, *more), _timings(key, scope)


def _timings(key, scope: Scope) -> dict:
    def spread(seconds) -> dict:
        values = select(key.label("key"), seconds.label("value")).where(
            *_made(scope)).subquery()
        return {r.key: r for r in db.session.execute(percentiles(values, keys=["key"]))}

    acknowledge, resolve = spread(_acknowledge()), spread(_resolve())

    def timing(k) -> Timing:
        a, r = acknowledge.get(k), resolve.get(k)
        return Timing(hours(a and a.p50), hours(a and a.p90), hours(r and r.p50),
                      hours(r and r.p90))

    return {k: timing(k) for k in {*acknowledge, *resolve}}


EMPTY = Timing(None, None, None, None)


def escalations(scope: Scope) -> tuple[Escalations, list[Usefulness]]:
    """Escalations made in the range, by severity and by recipient; and how useful each
    recipient's help was rated, counted in the same pass over the recipients' escalations."""
    counts, timings = _figures(Escalation.severity, scope)
    by_severity = []
    for severity in SEVERITIES:
        row = counts.get(severity)
        by_severity.append(SeverityRow(
            str(severity), *((int(getattr(row, f)) if row else 0) for f in (
                "count", "acknowledged", "resolved", "passed_on", "resolved_late")),
            timings.get(severity, EMPTY)))
    counts, timings = _figures(_recipient(), scope, *_ratings())
    names = _names(counts)
    by_recipient = [RecipientRow(
        names[k], int(r.count), int(r.acknowledged), int(r.resolved), int(r.passed_on),
        int(r.resolved_late), timings.get(k, EMPTY)) for k, r in counts.items()]
    by_recipient.sort(key=lambda r: (r.name == CONTACTS, r.name.casefold()))
    return Escalations(by_severity, by_recipient), _usefulness(counts, names)


def _names(keys) -> dict[int, str]:
    ids = [k for k in keys if k]
    names = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                    .where(Organisation.id.in_(ids))).tuples().all())
    return {**names, 0: CONTACTS}


# --- Provider usefulness ----------------------------------------------------------------------


@dataclass(frozen=True)
class Usefulness:
    name: str
    ratings: dict[int, int]  # 1..5 -> escalations rated so
    mean: float | None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())


def _ratings() -> list:
    """Per recipient: escalations rated 1 to 5, and the mean rating (blank ones left out)."""
    return [*(_counted(Escalation.usefulness == n).label(f"r{n}") for n in RATINGS),
            func.avg(Escalation.usefulness).label("mean")]


def _usefulness(counts: dict, names: dict[int, str]) -> list[Usefulness]:
    """The recipients with at least one rating, from counts with `_ratings`' columns."""
    made = [Usefulness(names[k], {n: int(r._mapping[f"r{n}"]) for n in RATINGS},
                       None if r.mean is None else round(float(r.mean), 2))
            for k, r in counts.items()]
    return sorted((u for u in made if u.rated),
                  key=lambda u: (u.name == CONTACTS, u.name.casefold()))
