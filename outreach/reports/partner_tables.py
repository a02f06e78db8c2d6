"""A partner report as titled tables of words and numbers: one layout for the page, the PDF and
the CSV, so the three always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from outreach.escalations import words
from outreach.reports.partner import Headline, Report, generated_label
from outreach.reports.spreadsheet import Sections

SCOPE_NOTE = {
    "admin": "Escalations sent to this organisation by every programme.",
    "coordinator": "Escalations sent to this organisation by your organisation's programmes.",
    "provider": "Every escalation sent to your organisation, by every programme that uses "
                "this service.",
    "cli": "Escalations sent to this organisation by the programmes chosen.",
}
HOW = ("Escalations count in the month they were sent, in the programme's time zone. "
       "Acknowledged (or resolved) in time means at or before the time the routing rule set; "
       "the percentages are out of every escalation received, so one never acknowledged counts "
       "as late. Times are hours from when the escalation was sent: the median (half were "
       "faster) and the 90th percentile (nine in ten were faster). Outcome notes are as the "
       "organisation's staff wrote them, with the client's name and number taken out; the "
       "report names no client.")


@dataclass(frozen=True)
class Table:
    key: str  # an id for the page
    title: str
    header: list[str]
    rows: list[list]
    numeric_from: int = 1  # columns from this one are numbers (right-aligned)


def show(value, suffix: str = "") -> str:
    """A figure for reading: a dash when there is none."""
    return "–" if value is None else f"{value:g}{suffix}"


# (label, figure, is a percentage)
HEADLINE_ROWS = (
    ("Received", lambda h: h.received, False),
    ("Acknowledged", lambda h: h.acknowledged, False),
    ("Acknowledged in time", lambda h: h.acknowledged_in_time, False),
    ("Acknowledged in time (%)", lambda h: h.acknowledged_in_time_rate, True),
    ("Passed on: not acknowledged in time", lambda h: h.passed_on, False),
    ("Resolved", lambda h: h.resolved, False),
    ("Resolved in time", lambda h: h.resolved_in_time, False),
    ("Resolved in time (%)", lambda h: h.resolved_in_time_rate, True),
    ("Still open at the month's end", lambda h: h.open_at_end, False),
    ("Hours to acknowledge: median", lambda h: h.acknowledge_median, False),
    ("Hours to acknowledge: 90th percentile", lambda h: h.acknowledge_p90, False),
    ("Hours to resolve: median", lambda h: h.resolve_median, False),
    ("Hours to resolve: 90th percentile", lambda h: h.resolve_p90, False),
    ("Usefulness ratings", lambda h: h.rated, False),
    ("Usefulness: mean (1 to 5)", lambda h: h.usefulness_mean, False),
)


def headline_rows(current: Headline, previous: Headline, *, for_reading: bool = True
                  ) -> list[list]:
    """Each headline figure: this month's, then the month before's (raw numbers for a
    spreadsheet, words for reading)."""
    if not for_reading:
        return [[label, get(current), get(previous)] for label, get, _ in HEADLINE_ROWS]
    return [[label, show(get(current), "%" if pct else ""), show(get(previous), "%" if pct else "")]
            for label, get, pct in HEADLINE_ROWS]


def tables(report: Report, *, for_reading: bool = True) -> list[Table]:
    """The report's tables, in reading order."""
    month, before = report.month.label, report.month.previous.label
    return [
        Table("headline", "This month and the month before",
              ["Figure", month, before], headline_rows(report.headline, report.previous,
                                          for_reading=for_reading)),
        Table("severity", "Received, by urgency", ["Urgency", "Escalations"],
              [[words.SEVERITY.get(s, s), n] for s, n in report.by_severity]),
        Table("category", "Received, by kind of concern", ["Kind of concern", "Escalations"],
              [[words.CATEGORY.get(c, c), n] for c, n in report.by_category]),
        Table("usefulness", "How useful the referrals were", ["Rating", "Escalations"],
              [[words.USEFULNESS[n], report.ratings[n]] for n in report.ratings]),
        Table("outcomes", "Outcomes of the escalations resolved",
              ["Resolved on", "Kind of concern", "Urgency", "Outcome", "Note"],
              [[_day(o.resolved_at, o.timezone), words.CATEGORY.get(o.category, o.category),
                words.SEVERITY.get(o.severity, o.severity),
                words.OUTCOME.get(o.outcome, o.outcome), o.note] for o in report.outcomes],
              numeric_from=99),
    ]


def _day(moment, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%b %Y}"


def as_csv(report: Report, scope_note: str) -> str:
    """The report as CSV text: a section per table, a blank line between."""
    sheet = Sections()
    sheet.table(["Organisation", "Month", "Covers", "Made at"],
                [[report.organisation.name, report.month.key, scope_note,
                  generated_label(report)]], "Partner report")
    for table in tables(report, for_reading=False):
        sheet.table(table.header, table.rows, table.title)
    return sheet.text()
