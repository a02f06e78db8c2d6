"""FHIR search on Task: which parameters are served, what each means, and what is done with the
rest.

Served: `status` (and `status:not`), `owner`, `patient`, `_id`, `_lastUpdated` (prefixes eq, ne,
gt, ge, lt, le, sa, eb; any precision FHIR allows, from a year to a fraction of a second),
`_sort` (`_lastUpdated`, `-_lastUpdated`, `_id`, `-_id`), `_count`, `_summary=count` (and
`false`), `_format` (JSON only), `_pretty`, and our paging `_cursor`. Anything else follows
FHIR's rule: under `Prefer: handling=strict` the search is refused (400, an OperationOutcome);
otherwise (lenient, the default) it is served without it, the Bundle's self link shows only the
parameters used and an `outcome` entry names the ones ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import request
from sqlalchemy import ColumnElement, and_, false, not_, or_, tuple_

from outreach.api.pagination import decode_text, encode_text
from outreach.enums import EscalationStatus
from outreach.errors import APIError
from outreach.escalations.models import Escalation
from outreach.schemas import MAX_ID

DEFAULT_COUNT, MAX_COUNT = 50, 200
# Every code of FHIR's task-status value set: the ones we never use are valid and match nothing.
FHIR_TASK_STATUSES = ("draft", "requested", "received", "accepted", "rejected", "ready",
                      "cancelled", "in-progress", "on-hold", "failed", "completed",
                      "entered-in-error")
TASK_STATUS = {
    EscalationStatus.OPEN: "requested",
    EscalationStatus.REOPENED: "requested",
    EscalationStatus.ACKNOWLEDGED: "accepted",
    EscalationStatus.RESOLVED: "completed",
    EscalationStatus.REASSIGNED: "cancelled",
}
# Parameter → the modifiers served with it ("" is none).
SERVED = {"status": {"", "not"}, "owner": {""}, "patient": {""}, "_id": {""},
          "_lastUpdated": {""}, "_sort": {""}, "_count": {""}, "_summary": {""},
          "_format": {""}, "_pretty": {""}, "_cursor": {""}}
ONCE = {"_sort", "_count", "_summary", "_format", "_pretty", "_cursor", "owner"}
SORTS = {"_lastUpdated": (Escalation.updated_at, False), "-_lastUpdated": (Escalation.updated_at,
                                                                           True),
         "_id": (Escalation.id, False), "-_id": (Escalation.id, True)}
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
PREFIXES = ("eq", "ne", "gt", "ge", "lt", "le", "sa", "eb", "ap")
# FHIR's dateTime: a year, year-month, date, or date and time with seconds or a fraction,
# with a zone when a time is given (a bare hh:mm is allowed by search, as in FHIR's examples).
_DATE = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
                   r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})"
                   r"(?:\.(?P<fraction>\d{1,9}))?)?(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?")


@dataclass
class TaskSearch:
    """A search, understood: its criteria, order, page and what was left out."""

    criteria: list[ColumnElement[bool]] = field(default_factory=list)
    owner: int | None = None
    count: int = DEFAULT_COUNT
    sort: str = "_id"
    after: tuple | None = None  # the sort key of the last row of the page before
    summary_count: bool = False
    pretty: bool = False
    used: list[tuple[str, str]] = field(default_factory=list)  # for the self and next links
    ignored: list[str] = field(default_factory=list)

    @property
    def order(self) -> tuple:
        column, descending = SORTS[self.sort]
        if column is Escalation.id:
            return (Escalation.id.desc() if descending else Escalation.id,)
        if descending:
            return column.desc(), Escalation.id.desc()
        return column, Escalation.id

    def page_after(self) -> ColumnElement[bool] | None:
        """Rows after the page before, in the search's order (keyset paging)."""
        if self.after is None:
            return None
        column, descending = SORTS[self.sort]
        if column is Escalation.id:
            return Escalation.id < self.after[-1] if descending else Escalation.id > self.after[-1]
        key = tuple_(column, Escalation.id)
        return key < tuple_(*self.after) if descending else key > tuple_(*self.after)

    def cursor_of(self, row) -> str:
        """The `_cursor` that continues after `row`."""
        column, _ = SORTS[self.sort]
        text = str(row.id) if column is Escalation.id else (
            f"{row.updated_at.astimezone(UTC).isoformat()}|{row.id}")
        return encode_text(text)


def strict() -> bool:
    """Whether the client asked for `Prefer: handling=strict` (FHIR's default is lenient)."""
    for preference in request.headers.get("Prefer", "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "handling":
            return value.strip().strip('"').lower() == "strict"
    return False


class NotSupported(APIError):
    """A parameter, modifier or value this server does not serve (under handling=strict)."""

    status = 400
    code = "not_supported"


def parse(handling_strict: bool) -> TaskSearch:
    """The search the request's query asks for; refuses bad values (400) in either handling
    and unsupported parameters under strict handling."""
    search = TaskSearch()
    seen: set[str] = set()
    for name, value in request.args.items(multi=True):
        base, _, modifier = name.partition(":")
        if base not in SERVED or modifier not in SERVED[base]:
            what = "modifier" if base in SERVED else "parameter"
            _skip(search, name, f"The search {what} {name[:60]!r} is not supported.",
                  handling_strict)
            continue
        if base in ONCE and base in seen:
            raise APIError(f"{base} may be given once.")
        seen.add(base)
        if _apply(search, base, modifier, value, handling_strict):
            search.used.append((name, value))
    return search


def _skip(search: TaskSearch, name: str, message: str, handling_strict: bool) -> None:
    if handling_strict:
        raise NotSupported(message + " (Prefer: handling=strict)")
    search.ignored.append(name[:60])


def _apply(search: TaskSearch, base: str, modifier: str, value: str,
           handling_strict: bool) -> bool:
    """Add one parameter to the search; answers whether it was used (not ignored)."""
    if base == "status":
        wanted = Escalation.status.in_(statuses(value))
        search.criteria.append(not_(wanted) if modifier == "not" else wanted)
    elif base == "owner":
        search.owner = _reference(value, "Organization", "owner")
    elif base == "patient":
        ids = [_reference(part, "Patient", "patient") for part in value.split(",")]
        search.criteria.append(Escalation.client_id.in_(ids))
    elif base == "_id":
        ids = [int(part) for part in (p.strip() for p in value.split(","))
               if part.isascii() and part.isdigit() and 1 <= int(part) <= MAX_ID]
        search.criteria.append(Escalation.id.in_(ids) if ids else false())
    elif base == "_lastUpdated":
        search.criteria.append(last_updated(value))
    elif base == "_count":
        search.count = _count(value)
        return False  # every link carries the page's size anyway
    elif base == "_cursor":
        search.after = None  # set once the sort is known (see finish)
        search.used.append(("_cursor", value))
        return False  # the self link carries it only when given; see links
    elif base == "_sort":
        if value not in SORTS:
            _skip(search, "_sort", f"_sort={value[:60]} is not supported; use "
                                   + ", ".join(SORTS) + ".", handling_strict)
            return False
        search.sort = value
    elif base == "_summary":
        if value not in ("count", "false"):
            _skip(search, "_summary", f"_summary={value[:20]} is not supported; use count.",
                  handling_strict)
            return False
        search.summary_count = value == "count"
    elif base == "_pretty":
        search.pretty = value.strip().lower() == "true"
    return True


def finish(search: TaskSearch) -> TaskSearch:
    """Read the `_cursor` in the light of the sort (a cursor of another sort is refused)."""
    raw = next((value for name, value in search.used if name == "_cursor"), None)
    search.used = [(name, value) for name, value in search.used if name != "_cursor"]
    if raw:
        search.after = _cursor(raw, SORTS[search.sort][0] is Escalation.id)
    return search


def statuses(raw: str) -> list[EscalationStatus]:
    """Our statuses for a FHIR `status` value (comma: any of them)."""
    wanted = [code.strip() for code in raw.split(",")]
    unknown = [code for code in wanted if code not in FHIR_TASK_STATUSES]
    if unknown:
        raise APIError(f"Unknown task status: {', '.join(unknown)[:200]}. Use FHIR's "
                       f"task-status codes: {', '.join(FHIR_TASK_STATUSES)}.")
    return [ours for ours, theirs in TASK_STATUS.items() if theirs in wanted]


def _count(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_COUNT:
        raise APIError(f"_count must be a whole number from 1 to {MAX_COUNT}.")
    return int(raw)


def _reference(raw: str, kind: str, name: str) -> int:
    """The id in `Kind/<id>` (or a full URL ending so, or a bare id for patient)."""
    text = raw.strip()
    if "/" in text:
        head, _, number = text.rpartition("/")
        if not (head == kind or head.endswith("/" + kind)):
            raise APIError(f"{name} must be {kind}/<id>.")
    else:
        number = text
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= MAX_ID:
        raise APIError(f"{name} must be {kind}/<id>.")
    return int(number)


def _cursor(raw: str, by_id: bool) -> tuple:
    """The sort key after which the page starts, from our opaque `_cursor`."""
    bad = APIError("_cursor is not one this server gave out (or was made for another _sort).")
    text = decode_text(raw)
    if text is None:
        raise bad
    moment_text, _, number = text.rpartition("|")
    if not (number.isascii() and number.isdigit()) or int(number) > MAX_ID:
        raise bad
    if by_id:
        if moment_text:
            raise bad
        return (int(number),)
    try:
        moment = datetime.fromisoformat(moment_text)
    except ValueError as exc:
        raise bad from exc
    if moment.tzinfo is None:
        raise bad
    return moment, int(number)


# --- _lastUpdated ----------------------------------------------------------------------------


def date_range(raw: str) -> tuple[datetime, datetime]:
    """The instants [start, end) a FHIR date/dateTime search value stands for, by its
    precision: 2026 is the whole year, 2026-03-04T10:00:00.5Z half a second from then."""
    found = _DATE.fullmatch(raw)
    if found is None:
        raise APIError(f"_lastUpdated: {raw[:40]!r} is not a FHIR date or dateTime.")
    part = {key: value for key, value in found.groupdict().items() if value is not None}
    if "hour" in part and "zone" not in part:
        raise APIError("_lastUpdated: a time needs a zone (Z or +hh:mm).")
    try:
        year, month, day = int(part["year"]), int(part.get("month", 1)), int(part.get("day", 1))
        if "hour" not in part:
            start = datetime(year, month, day, tzinfo=UTC)
            if "day" in part:
                return start, start + timedelta(days=1)
            if "month" in part:
                return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, datetime(year + 1, 1, 1, tzinfo=UTC)
        zone = part["zone"].replace("Z", "+00:00")
        fraction = part.get("fraction", "")
        start = datetime.fromisoformat(
            f"{part['year']}-{part['month']}-{part['day']}T{part['hour']}:{part['minute']}:"
            f"{part.get('second', '00')}{zone}")
        if fraction:
            micro = fraction[:6].ljust(6, "0")
            start += timedelta(microseconds=int(micro))
            # Digits past microseconds narrow the range below what is stored: one microsecond.
            width = timedelta(microseconds=10 ** max(6 - len(fraction), 0))
        else:
            width = timedelta(seconds=1) if "second" in part else timedelta(minutes=1)
        return start.astimezone(UTC), start.astimezone(UTC) + width
    except (ValueError, OverflowError) as exc:
        raise APIError(f"_lastUpdated: {raw[:40]!r} is not a date that exists.") from exc


def last_updated(raw: str) -> ColumnElement[bool]:
    """The criterion for one `_lastUpdated` value (several values: all must hold)."""
    raw = raw.strip().replace(" ", "+")  # a "+" of a zone sent unencoded arrives as a space
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    value = raw[2:] if raw[:2] in PREFIXES else raw
    if prefix == "ap":
        raise NotSupported("_lastUpdated: the ap (approximately) prefix is not supported.")
    start, end = date_range(value)
    column = Escalation.updated_at
    return {
        "eq": and_(column >= start, column < end),
        "ne": or_(column < start, column >= end),
        "gt": column >= end, "sa": column >= end,
        "ge": column >= start,
        "lt": column < start, "eb": column < start,
        "le": column < end,
    }[prefix]
