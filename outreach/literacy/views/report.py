"""The report of a digital-literacy programme, as a page with charts and as a CSV file.

Coordinators of the programme's operator and admins read it; the figures come from
`outreach.literacy.reports`, the charts from `outreach.reports.charts`.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from outreach.enums import Role
from outreach.errors import NotFound, ValidationFailed
from outreach.literacy import reports
from outreach.literacy.reports import FOLLOW_UP_ANSWERS, Report, SessionMarks
from outreach.programmes.models import Programme
from outreach.reports import charts
from outreach.reports.ranges import ReportRangeIn
from outreach.reports.spreadsheet import Sections, csv_download, slug

bp = Blueprint("report", __name__)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
CONFIDENCE_WORDS = {1: "1 (not at all)", 2: "2", 3: "3", 4: "4", 5: "5 (very)"}


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _programme(programme_id: int) -> Programme:
    """The programme whose report the current user may read (403 for other roles, 404)."""
    if current_user.role not in MANAGERS:
        abort(403)
    try:
        return reports.programme_for_report(current_user, programme_id)
    except ValidationFailed as exc:  # a Call & Check programme has no such report
        raise NotFound("This programme has no workshops to report on.") from exc


def _dates() -> tuple[dict, dict]:
    """The dates asked for in the address: (loaded, errors by field)."""
    given = {key: request.args[key] for key in ("from", "to") if key in request.args}
    try:
        return ReportRangeIn().load(given), {}
    except ValidationError as exc:
        return {}, {key: " ".join(value) if isinstance(value, list) else str(value)
                    for key, value in exc.messages.items()}


def when(moment: datetime, timezone: str) -> str:
    """A session's start as people say it: Tue 3 Mar 2026, 10:00 (programme time)."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def session_groups(report: Report) -> list[tuple[str, list[tuple[SessionMarks, str, str]]]]:
    """The sessions for the table: runs of one workshop's, each (session, day, time), so the
    table names a workshop once above its sessions rather than on every narrow row."""
    zone = ZoneInfo(report.programme.timezone)
    groups: list[tuple[str, list]] = []
    last = None
    for session in report.sessions:
        if session.workshop_id != last:
            groups.append((session.workshop_title, []))
            last = session.workshop_id
        local = session.starts_at.astimezone(zone)
        groups[-1][1].append((session, f"{local.day} {local:%b %Y}", f"{local:%a %H:%M}"))
    return groups


def session_labels(report: Report) -> list[str]:
    """Each session by its start, and its workshop's title when the report has several."""
    several = len({s.workshop_id for s in report.sessions}) > 1
    zone = report.programme.timezone
    return [f"{when(s.starts_at, zone)}" + (f" · {s.workshop_title}" if several else "")
            for s in report.sessions]


def _charts(report: Report) -> dict:
    marks, confidence = report.attendance, report.confidence
    return {
        "attendance": charts.bar_chart(
            "chart-attendance", "Attendance at each session",
            f"{len(report.sessions)} sessions: {marks.present} present, {marks.late} late, "
            f"{marks.no_show} no-shows and {marks.unmarked} not marked.",
            session_labels(report),
            [charts.PRESENT, charts.LATE, charts.NO_SHOW, charts.UNMARKED],
            [[s.present, s.late, s.no_show, s.unmarked] for s in report.sessions],
            stacked=True),
        "skills": charts.bar_chart(
            "chart-skills", "Skills gained",
            "Learners seen doing each skill: " + "; ".join(
                f"{s.name}: {s.learners}" for s in report.skills) + ".",
            [s.name for s in report.skills], [charts.LEARNERS],
            [[s.learners] for s in report.skills]),
        "confidence": charts.bar_chart(
            "chart-confidence", "Confidence online, at the start and at the end",
            f"{confidence.learners} learners rated their confidence from 1 to 5 at the start "
            "and at the end; bars show how many gave each score. " + "; ".join(
                f"score {n}: {confidence.before[n]} at the start, {confidence.after[n]} at "
                "the end" for n in range(1, 6)) + ".",
            [f"Score {CONFIDENCE_WORDS[n]}" for n in range(1, 6)],
            [charts.BEFORE, charts.AFTER],
            [[confidence.before[n], confidence.after[n]] for n in range(1, 6)]),
    }


@bp.get("/programmes/<int:programme_id>/literacy-report")
def show(programme_id: int):
    """The programme's report: learners, attendance, completion, skills, confidence and
    follow-up, with charts and their tables, over the dates chosen."""
    programme = _programme(programme_id)
    dates, errors = _dates()
    if errors:
        return render_template("literacy_report/report.html", programme=programme,
                               report=None, errors=errors, values=request.args), 422
    report = reports.build(programme, dates["start"], dates["end"])
    return render_template(
        "literacy_report/report.html", programme=programme, report=report, errors={},
        values=request.args, charts=_charts(report), groups=session_groups(report),
        answers=FOLLOW_UP_ANSWERS, confidence_words=CONFIDENCE_WORDS,
        csv_url=url_for("literacy.report.download", programme_id=programme.id,
                        **{k: v for k, v in request.args.items() if k in ("from", "to") and v}))


@bp.get("/programmes/<int:programme_id>/literacy-report.csv")
def download(programme_id: int):
    """The same figures as a spreadsheet: one section per table, a blank line between."""
    programme = _programme(programme_id)
    dates, errors = _dates()
    if errors:
        raise ValidationFailed("The dates are not valid.", fields=errors)
    report = reports.build(programme, dates["start"], dates["end"])
    return csv_download(as_csv(report), f"{slug(programme.name)}-report.csv")


def as_csv(report: Report) -> str:
    """The report as CSV text (the csv module quotes commas, quotes and line breaks)."""
    sheet = Sections()

    def section(title: str, header: list[str], rows) -> None:
        sheet.table(header, rows, title)

    zone = report.programme.timezone
    section("Report", ["Programme", "From", "To", "Workshops", "Made at"], [[
        report.programme.name, report.start.isoformat() if report.start else "",
        report.end.isoformat() if report.end else "", report.workshops,
        report.generated_at.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")]])
    learners = report.learners
    section("Learners", ["Enrolled", "Waiting", "Offered a place", "Withdrawn",
                         "Different people enrolled"],
            [[learners.enrolled, learners.waiting, learners.offered, learners.withdrawn,
              learners.people]])
    section("Attendance by session",
            ["Session id", "Workshop", "Starts (programme time)", "Venue", "Present", "Late",
             "No-show", "Not marked", "Attended %"],
            [[s.session_id, s.workshop_title,
              s.starts_at.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes"), s.venue,
              s.present, s.late, s.no_show, s.unmarked, s.rate] for s in report.sessions])
    marks = report.attendance
    section("Attendance overall", ["Present", "Late", "No-show", "Not marked", "Attended %"],
            [[marks.present, marks.late, marks.no_show, marks.unmarked, marks.rate]])
    completion = report.completion
    section("Completion", ["Learners", "Completed", "Completed %", "Rule"],
            [[completion.learners, completion.completed, completion.rate, completion.rule]])
    section("Skills gained", ["Skill", "Learners"],
            [[s.name, s.learners] for s in report.skills])
    confidence = report.confidence
    section("Confidence", ["Learners rated twice", "Mean at the start", "Mean at the end",
                           "More confident", "The same", "Less confident"],
            [[confidence.learners, confidence.mean_before, confidence.mean_after,
              confidence.improved, confidence.same, confidence.lower]])
    section("Confidence scores", ["Score", "At the start", "At the end"],
            [[n, confidence.before[n], confidence.after[n]] for n in range(1, 6)])
    section("Confidence changes", ["At the start", "At the end", "Learners"],
            confidence.changes)
    follow_up = report.follow_up
    section("Follow-up", ["Asked", *FOLLOW_UP_ANSWERS.values(), "No answer"],
            [[follow_up.asked, *follow_up.answers.values(), follow_up.no_answer]])
    return sheet.text()
