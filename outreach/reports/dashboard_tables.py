"""The dashboard's tables, once: the page shows them and each downloads as a CSV, so the
two cannot disagree. A table is a title, a header and rows of plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from outreach.reports.dashboard import Dashboard
from outreach.reports.dashboard_escalations import RATINGS
from outreach.reports.dashboard_outcomes import SCORE_NAMES
from outreach.reports.ranges import percent
from outreach.reports.spreadsheet import Sections

OUTCOME_NAMES = {"seen_well": "Seen, well", "seen_concern": "Seen, with a concern",
                 "no_answer": "No answer", "declined": "Declined the visit", "away": "Away"}
SEVERITY_NAMES = {"urgent": "Urgent", "soon": "Soon", "routine": "Routine"}
SATISFACTION_NAMES = {1: "1 (very unhappy)", 2: "2", 3: "3", 4: "4", 5: "5 (very happy)"}


def category_name(category: str) -> str:
    """A need category as people say it: food_or_shopping -> Food or shopping."""
    return category.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[Sequence]


def _timing(t) -> list:
    return [t.acknowledge_median, t.acknowledge_p90, t.resolve_median, t.resolve_p90]


def tables(d: Dashboard) -> dict[str, Table]:
    """Every table of the dashboard by its name in the address of its CSV."""
    months = d.scope.month_labels()
    c, v, na, needs, e, sms, w, s, cost = (d.clients, d.visits, d.no_answers, d.needs,
                                          d.escalations, d.sms, d.wellbeing, d.satisfaction,
                                          d.cost)
    timing = ["Acknowledge median (h)", "Acknowledge 90th percentile (h)",
              "Resolve median (h)", "Resolve 90th percentile (h)"]
    return {
        "clients": Table("Clients", ["Enrolled", "Active at the end", "Left"],
                         [[c.enrolled, c.active, c.left]]),
        "clients-by-month": Table("Clients by month", ["Month", "Enrolled", "Left"],
                                  [[m, *row] for m, row in zip(months, c.by_month, strict=True)]),
        "leaving-reasons": Table("Why clients left", ["Reason", "Clients"], c.reasons),
        "visits": Table("Visits", ["Planned", "Done", "Missed", "Done %"],
                        [[v.planned, v.done, v.missed, v.done_percent]]),
        "visits-by-month": Table(
            "Visits by month and outcome",
            ["Month", *OUTCOME_NAMES.values(), "Missed", "Done %"],
            [[m, *row, percent(sum(row[:-1]), sum(row))]
             for m, row in zip(months, v.by_month, strict=True)]),
        "no-answers": Table("No-answers and how they ended",
                            ["Raised", "Seen again", "Dealt with by a contact or the team",
                             "Flagged, still open", "Still within the window",
                             "Median hours to close"],
                            [[na.raised, na.seen_again, na.dealt_with, na.flagged_open,
                              na.waiting, na.median_hours_to_close]]),
        "needs": Table("Needs by category and month",
                       ["Category", "Raised by", *months, "Total"],
                       [[category_name(cat), "Safety net" if needs.safety_net(cat) else
                         "Reported", *(row[i] for row in needs.by_month), needs.totals[i]]
                        for i, cat in enumerate(needs.categories)]),
        "escalations-by-severity": Table(
            "Escalations by severity",
            ["Severity", "Escalations", "Acknowledged", "Resolved",
             "Passed on (not acknowledged in time)", "Resolved late", *timing],
            [[SEVERITY_NAMES[r.severity], r.count, r.acknowledged, r.resolved, r.passed_on,
              r.resolved_late, *_timing(r.timing)] for r in e.by_severity]),
        "escalations-by-recipient": Table(
            "Escalations by recipient",
            ["Recipient", "Escalations", "Acknowledged", "Resolved",
             "Passed on (not acknowledged in time)", "Resolved late", *timing],
            [[r.name, r.count, r.acknowledged, r.resolved, r.passed_on, r.resolved_late,
              *_timing(r.timing)] for r in e.by_recipient]),
        "usefulness": Table("How useful providers' help was (1 to 5)",
                            ["Recipient", *(f"Rated {n}" for n in RATINGS), "Rated", "Mean"],
                            [[u.name, *u.ratings.values(), u.rated, u.mean]
                             for u in d.usefulness]),
        "texts": Table("Texts", ["Sent", "Delivered", "Delivered %", "Failed", "Replies",
                                 "Opt-outs", "Segments", "Estimated cost (£)"],
                       [[sms.sent, sms.delivered, sms.delivered_percent, sms.failed,
                         sms.replies, sms.opt_outs, sms.segments, sms.cost]]),
        "texts-by-month": Table("Texts by month", ["Month", "Sent", "Delivered", "Replies"],
                                [[m, *row] for m, row in zip(months, sms.by_month, strict=True)]),
        "wellbeing": Table("Wellbeing by quarter (means)",
                           ["Quarter", "Measures", *SCORE_NAMES.values()],
                           [[q.label, q.measures, *q.means.values()] for q in w.quarters]),
        "wellbeing-change": Table(
            f"Before and after ({w.clients_compared} clients)",
            ["Score", "Mean before", "Mean after", "Better", "Same", "Worse"],
            [[SCORE_NAMES[ch.score], ch.mean_before, ch.mean_after, ch.better, ch.same,
              ch.worse] for ch in w.changes]),
        "satisfaction": Table("Satisfaction", ["Answer", "Clients"],
                              [[SATISFACTION_NAMES[n], k] for n, k in s.answers.items()]
                              + [["Mean", s.mean]]),
        "cost": Table("Cost", ["Cost per visit (£)", "Visits done", "Visits (£)", "Texts (£)",
                               "Total (£)", "Per visit with texts (£)"],
                      [[cost.per_visit, cost.visits, cost.visits_cost, cost.texts_cost,
                        cost.total, cost.per_visit_with_texts]]),
    }


def as_csv(d: Dashboard, name: str) -> str:
    """One table as CSV text, under a line saying what it covers."""
    table = tables(d)[name]
    scope = d.scope
    sheet = Sections().table(
        ["Programme", "From", "To", "Parish", "Round id"],
        [[scope.programme.name, scope.start.isoformat(), scope.end.isoformat(), scope.parish,
          scope.round_id]], "Dashboard")
    return sheet.table(table.header, table.rows, table.title).text()
