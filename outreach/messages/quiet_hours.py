"""Quiet hours: the programme-local night in which non-urgent texts wait for the morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from outreach.programmes.models import Programme


def _quiet(at: time, start: time, end: time) -> bool:
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= at < end
    return at >= start or at < end  # across midnight, the usual case (21:00 to 08:00)


def quiet_until(programme: Programme | None, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (UTC), or None if `now` is not in them."""
    if programme is None:
        return None
    zone = ZoneInfo(programme.timezone)
    local = now.astimezone(zone)
    start, end = programme.quiet_hours_start, programme.quiet_hours_end
    if not _quiet(local.time(), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    # Wall-clock 08:00 that day; on a clock-change day zoneinfo picks the right offset.
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)
