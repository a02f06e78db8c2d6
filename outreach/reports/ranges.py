"""The dates a report covers, and the small arithmetic every report shares."""

from __future__ import annotations

from datetime import date

from marshmallow import ValidationError, fields, validates_schema

from outreach.schemas import Input

# Dates outside this span are typing mistakes, and far enough out they would overflow.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class DayOrBlank(fields.Date):
    """A date (YYYY-MM-DD); blank means none, as an empty box on a form does."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.strip():
            return None
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(f"Choose a date from {EARLIEST.year} to {LATEST.year}.")
        return day


class ReportRangeIn(Input):
    """The dates a report covers (both optional, both included)."""

    start = DayOrBlank(data_key="from", load_default=None, allow_none=True,
                       metadata={"description": "First day (YYYY-MM-DD), programme time"})
    end = DayOrBlank(data_key="to", load_default=None, allow_none=True,
                     metadata={"description": "Last day (YYYY-MM-DD), included"})

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("Must be on or after the first day.", field_name="to")


def percent(part: int, whole: int) -> float | None:
    """part of whole as a percentage with one decimal (None when there is nothing to divide)."""
    return round(100 * part / whole, 1) if whole else None
