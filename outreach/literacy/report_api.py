"""API: the report of a digital-literacy programme, with the same figures as its page."""

from __future__ import annotations

from marshmallow import fields, validate

from outreach.api import Blueprint
from outreach.enums import Role
from outreach.literacy import reports
from outreach.literacy.reports import FOLLOW_UP_ANSWERS
from outreach.reports.ranges import ReportRangeIn
from outreach.schemas import MAX_ID, Output


class LiteracyReportQuery(ReportRangeIn):
    programme_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                                  metadata={"description": "A digital-literacy programme"})


class ReportLearnersOut(Output):
    enrolled = fields.Integer()
    waiting = fields.Integer()
    offered = fields.Integer()
    withdrawn = fields.Integer()
    people = fields.Integer(metadata={"description": "Different people with a place"})


class ReportAttendanceOut(Output):
    present = fields.Integer()
    late = fields.Integer()
    no_show = fields.Integer()
    unmarked = fields.Integer(metadata={"description": "With a place, not on the register"})
    attendance_percent = fields.Float(attribute="rate", allow_none=True, metadata={
        "description": "Present or late, out of those marked"})


class ReportSessionOut(ReportAttendanceOut):
    session_id = fields.Integer()
    workshop_id = fields.Integer()
    workshop_title = fields.String()
    starts_at = fields.AwareDateTime()
    venue = fields.String()


class ReportCompletionOut(Output):
    learners = fields.Integer()
    completed = fields.Integer()
    completed_percent = fields.Float(attribute="rate", allow_none=True)
    rule = fields.String()


class ReportSkillOut(Output):
    skill_id = fields.Integer()
    name = fields.String()
    learners = fields.Integer()


class ReportConfidenceOut(Output):
    learners = fields.Integer(metadata={"description": "Rated at the start and at the end"})
    mean_before = fields.Float(allow_none=True)
    mean_after = fields.Float(allow_none=True)
    improved = fields.Integer()
    same = fields.Integer()
    lower = fields.Integer()
    before = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Learners by score (1 to 5) at the start"})
    after = fields.Dict(keys=fields.String(), values=fields.Integer())
    changes = fields.Method("_changes", metadata={
        "description": "Learners by their score at the start and at the end"})

    def _changes(self, confidence) -> list[dict]:
        return [{"before": b, "after": a, "learners": n} for b, a, n in confidence.changes]


class ReportFollowUpOut(Output):
    asked = fields.Integer()
    on_my_own = fields.Function(lambda f: f.answers[1], metadata={
        "description": f"Replied 1: {FOLLOW_UP_ANSWERS[1]}"})
    with_help = fields.Function(lambda f: f.answers[2], metadata={
        "description": f"Replied 2: {FOLLOW_UP_ANSWERS[2]}"})
    not_yet = fields.Function(lambda f: f.answers[3], metadata={
        "description": f"Replied 3: {FOLLOW_UP_ANSWERS[3]}"})
    no_answer = fields.Integer()


class LiteracyReportOut(Output):
    programme_id = fields.Function(lambda r: r.programme.id)
    programme_name = fields.Function(lambda r: r.programme.name)
    start = fields.Date(data_key="from", allow_none=True)
    end = fields.Date(data_key="to", allow_none=True)
    generated_at = fields.AwareDateTime()
    workshops = fields.Integer()
    learners = fields.Nested(ReportLearnersOut)
    sessions = fields.List(fields.Nested(ReportSessionOut))
    attendance = fields.Nested(ReportAttendanceOut)
    completion = fields.Nested(ReportCompletionOut)
    skills = fields.List(fields.Nested(ReportSkillOut))
    confidence = fields.Nested(ReportConfidenceOut)
    follow_up = fields.Nested(ReportFollowUpOut)


blp = Blueprint("report", __name__, part=True)


@blp.operation("/reports/literacy", summary="A digital-literacy programme's report", tag="reports",
               query=LiteracyReportQuery, response=LiteracyReportOut,
               roles=[Role.ADMIN, Role.COORDINATOR])
def literacy_report(user, params):
    """Learners, attendance per session and overall, completion, skills gained, confidence
    change and follow-up answers of a programme, over optional dates (both included)."""
    programme = reports.programme_for_report(user, params["programme_id"])
    return reports.build(programme, params["start"], params["end"])
