"""SQL pieces the reports share, written once so that SQLite and PostgreSQL agree.

- `seconds_between(start, end)`: a duration in seconds (SQLite has no interval type).
- `percentiles(...)`, `percentile_columns(...)`: nearest-rank percentiles, percentile_disc on
  PostgreSQL and window functions (ROW_NUMBER, COUNT) on SQLite, which has no percentile
  functions; one definition on both. The p-th percentile of n values is the value at position
  ceil(p * n / 100) in ascending order, i.e. the smallest value with at least p% of the values
  at or below it; it is always one of the values, never an interpolation.
- `bucket(column, edges)`: which period (month, quarter) a time falls in, by comparing with the
  periods' first instants, worked out in the programme's time zone beforehand; SQLite knows
  no time zones, and a CASE over a dozen edges is exact across clock changes on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, Select, case, func, literal, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

HOUR = 3600


class seconds_between(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """The seconds from `start` to `end` (two timestamp columns), as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_generic(element, compiler, **kw):
    start, end = list(element.clauses)
    # As a float: EXTRACT answers numeric, many times slower to sort (percentiles sort it).
    return (f"CAST(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)})) AS DOUBLE PRECISION)")


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    # date_part answers double precision itself: EXTRACT's numeric, then cast, cost a year's
    # escalations twice as much. Equal for whole seconds; below that at most the last bit.
    return (f"date_part('epoch', {compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)})")


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)})) * 86400.0)")


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    from outreach.db import db

    return db.session.get_bind().dialect.name == "postgresql"


def aggregate_percentiles() -> bool:
    """Whether percentiles can be plain aggregates here (PostgreSQL's percentile_disc), so that
    they go in the same GROUP BY query as other figures."""
    return on_postgresql()


def percentile_columns(column, points: Sequence[int] = (50, 90), prefix: str = "p") -> list:
    """Nearest-rank percentiles of `column` as aggregates (PostgreSQL only, see above):
    percentile_disc is nearest rank by definition (the first value whose cumulative share
    reaches p) and leaves blank values out."""
    return [func.percentile_disc(p / 100).within_group(column).label(f"{prefix}{p}")
            for p in points]


def percentiles(values, value: str = "value", keys: Sequence[str] = (),
                points: Sequence[int] = (50, 90)) -> Select:
    """Per group of `keys` in the subquery `values`: n and the nearest-rank percentile of
    column `value` at each of `points` (labelled p50, p90, ...). Blank values are left out."""
    column = values.c[value]
    groups = [values.c[k] for k in keys]
    if aggregate_percentiles():
        # One sort per group costs far less than the window functions below.
        query = select(*groups, func.count(column).label("n"),
                       *percentile_columns(column, points)).where(column.is_not(None))
        return query.group_by(*groups) if groups else query
    ranked = select(
        *groups, column.label("value"),
        func.row_number().over(partition_by=groups or None, order_by=column).label("rank"),
        func.count().over(partition_by=groups or None).label("n"),
    ).where(column.is_not(None)).subquery()
    # ceil(p * n / 100) in whole numbers: (p * n + 99) // 100, integer division on both.
    picks = [func.max(case((ranked.c.rank == (ranked.c.n * p + 99) // 100, ranked.c.value)))
             .label(f"p{p}") for p in points]
    query = select(*(ranked.c[k] for k in keys), func.max(ranked.c.n).label("n"), *picks)
    return query.group_by(*(ranked.c[k] for k in keys)) if keys else query


class _period(FunctionElement):  # noqa: N801 - reads as the SQL it stands for
    """See `bucket`: the column, then the edges after the first."""

    type = Integer()
    inherit_cache = True
    name = "period"


@compiles(_period)
def _period_generic(element, compiler, **kw):
    column, *edges = list(element.clauses)
    whens = [(column < edge, index) for index, edge in enumerate(edges)]
    return compiler.process(case(*whens, else_=None), **kw)


@compiles(_period, "postgresql")
def _period_postgresql(element, compiler, **kw):
    column, *edges = list(element.clauses)
    # width_bucket counts the edges at or before the value by binary search, several times
    # cheaper per row than a CASE of a dozen comparisons; past the last edge it is blank.
    array = ", ".join(compiler.process(edge, **kw) for edge in edges)
    return (f"NULLIF(width_bucket({compiler.process(column, **kw)}, ARRAY[{array}]), "
            f"{len(edges)})")


def bucket(column, edges: Sequence[datetime | date]) -> ColumnElement:
    """The index of the period `column` falls in: column < edges[i + 1] gives the first such i
    (blank from edges[-1] on). Rows must already be on or after edges[0]: the range does it."""
    # Labelled so that queries group by the label: repeating the expression in GROUP BY would
    # bind its edges again, and PostgreSQL does not see two sets of parameters as one.
    return _period(column, *(literal(edge, column.type) for edge in edges[1:])).label("period")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def month_starts(start: date, end: date, step: int = 1) -> list[date]:
    """First days of the periods of `step` months covering start..end, and the day after the
    last one (quarters with step 3 start in January, April, July and October)."""
    first = date(start.year, (start.month - 1) // step * step + 1, 1)
    days = [first]
    while days[-1] <= end:
        months = days[-1].month - 1 + step
        days.append(date(days[-1].year + months // 12, months % 12 + 1, 1))
    return days


def hours(seconds) -> float | None:
    """Seconds as hours with one decimal (None stays None)."""
    return None if seconds is None else round(float(seconds) / HOUR, 1)


def next_day(day: date) -> date:
    """The day after `day` (range ends are included, so queries stop before this)."""
    return day + timedelta(days=1)


def roomy_sorts(session, megabytes: int = 64) -> None:
    """Let this transaction's sorts (percentiles, first and last measures) stay in memory on
    PostgreSQL: the default 4 MB spills a year's rows to disk, several times slower."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{int(megabytes)}MB'"))
