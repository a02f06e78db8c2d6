"""How long a recipient has to acknowledge and to resolve an escalation.

Defaults by severity: urgent within an hour and the same day; soon within a day and three days;
routine within three days and two weeks. A routing rule may set its own minutes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from outreach.enums import NeedSeverity

HOUR, DAY = 60, 24 * 60
SAME_DAY = None  # resolve by the end of the local day it was raised (never before acknowledge)

DEFAULTS: dict[NeedSeverity, tuple[int, int | None]] = {
    NeedSeverity.URGENT: (1 * HOUR, SAME_DAY),
    NeedSeverity.SOON: (1 * DAY, 3 * DAY),
    NeedSeverity.ROUTINE: (3 * DAY, 14 * DAY),
}


@dataclass(frozen=True)
class Due:
    acknowledge_by: datetime
    resolve_by: datetime


def due_times(severity: NeedSeverity, start: datetime, timezone: str, *,
              acknowledge_minutes: int | None = None,
              resolve_minutes: int | None = None) -> Due:
    """When an escalation raised at `start` must be acknowledged and resolved."""
    default_ack, default_resolve = DEFAULTS[NeedSeverity(severity)]
    acknowledge_by = start + timedelta(minutes=acknowledge_minutes or default_ack)
    minutes = resolve_minutes or default_resolve
    if minutes is SAME_DAY:
        resolve_by = end_of_local_day(start, timezone)
    else:
        resolve_by = start + timedelta(minutes=minutes)
    return Due(acknowledge_by, max(resolve_by, acknowledge_by))


def end_of_local_day(moment: datetime, timezone: str) -> datetime:
    """Midnight after `moment` on the programme's clocks, as an aware time in UTC terms."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return midnight.astimezone(moment.tzinfo)


def describe(minutes: int | None) -> str:
    """A span as people say it: "1 hour", "3 days", "the same day"."""
    if minutes is None:
        return "the same day"
    if minutes % DAY == 0:
        days = minutes // DAY
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % HOUR == 0:
        hours = minutes // HOUR
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
