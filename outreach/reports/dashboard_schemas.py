"""The dashboard's filters (page, CSVs and API alike) and its figures as JSON."""

from __future__ import annotations

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import select

from outreach.db import db
from outreach.reports.ranges import ReportRangeIn
from outreach.rounds.models import Round
from outreach.schemas import MAX_ID, Output, Text


class DashboardQuery(ReportRangeIn):
    """Which programme, which dates (local, both included) and which of its clients."""

    programme_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                                  metadata={"description": "A Call & Check programme"})
    parish = Text(load_default="", max_length=100,
                  metadata={"description": "The clients' current parish (blank: all)"})
    round_id = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(min=1, max=MAX_ID),
                              metadata={"description": "The clients' current round (blank: all)"})

    @pre_load
    def _blank_round(self, data, **kwargs):
        # A form's empty choice means every round.
        if hasattr(data, "get") and isinstance(data.get("round_id"), str) \
                and not data["round_id"].strip():
            data = {k: v for k, v in data.items() if k != "round_id"}
        return data

    @validates_schema
    def _round_of_programme(self, data, **kwargs):
        round_id, programme_id = data.get("round_id"), data.get("programme_id")
        if round_id is not None and programme_id is not None and db.session.scalar(
                select(Round.id).where(Round.id == round_id,
                                       Round.programme_id == programme_id)) is None:
            raise ValidationError("Not a round of this programme.", field_name="round_id")


class TimingOut(Output):
    acknowledge_median_hours = fields.Float(attribute="acknowledge_median", allow_none=True)
    acknowledge_p90_hours = fields.Float(attribute="acknowledge_p90", allow_none=True)
    resolve_median_hours = fields.Float(attribute="resolve_median", allow_none=True)
    resolve_p90_hours = fields.Float(attribute="resolve_p90", allow_none=True)


class EscalationRowOut(Output):
    count = fields.Integer()
    acknowledged = fields.Integer()
    resolved = fields.Integer()
    passed_on = fields.Integer(metadata={
        "description": "Not acknowledged in time: passed to the next tier"})
    resolved_late = fields.Integer(metadata={
        "description": "Resolved after the resolve-by time, or flagged resolve-overdue"})
    timing = fields.Nested(TimingOut)


class SeverityOut(EscalationRowOut):
    severity = fields.String()


class RecipientOut(EscalationRowOut):
    name = fields.String(metadata={"description": "Organisation, or Designated contacts"})


class ClientsOut(Output):
    enrolled = fields.Integer()
    active = fields.Integer(metadata={"description": "Enrolled by the end, not left by then"})
    left = fields.Integer()
    reasons = fields.Function(lambda c: [{"reason": r, "clients": n} for r, n in c.reasons])


class VisitsOut(Output):
    planned = fields.Integer(metadata={"description": "Done + missed"})
    done = fields.Integer()
    missed = fields.Integer()
    done_percent = fields.Float(allow_none=True)
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())


class NoAnswersOut(Output):
    raised = fields.Integer()
    seen_again = fields.Integer()
    dealt_with = fields.Integer()
    flagged_open = fields.Integer()
    waiting = fields.Integer()
    median_hours_to_close = fields.Float(allow_none=True)


class UsefulnessOut(Output):
    name = fields.String()
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "Escalations by rating, 1 to 5"})
    rated = fields.Integer()
    mean = fields.Float(allow_none=True)


class TextsOut(Output):
    sent = fields.Integer()
    delivered = fields.Integer()
    delivered_percent = fields.Float(allow_none=True)
    failed = fields.Integer()
    replies = fields.Integer()
    opt_outs = fields.Integer()
    segments = fields.Integer()
    cost = fields.Float(metadata={"description": "Estimated, in pounds"})


class QuarterOut(Output):
    label = fields.String()
    measures = fields.Integer()
    means = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class ChangeOut(Output):
    score = fields.String()
    mean_before = fields.Float(allow_none=True)
    mean_after = fields.Float(allow_none=True)
    better = fields.Integer()
    same = fields.Integer()
    worse = fields.Integer()


class WellbeingOut(Output):
    quarters = fields.List(fields.Nested(QuarterOut))
    clients_compared = fields.Integer()
    changes = fields.List(fields.Nested(ChangeOut))


class SatisfactionOut(Output):
    answers = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "Clients by answer, 1 to 5"})
    answered = fields.Integer()
    mean = fields.Float(allow_none=True)


class CostOut(Output):
    per_visit = fields.Float()
    visits = fields.Integer()
    visits_cost = fields.Float()
    texts_cost = fields.Float()
    total = fields.Float()
    per_visit_with_texts = fields.Float(allow_none=True)


class MonthOut(Output):
    month = fields.String()
    clients_enrolled = fields.Integer()
    clients_left = fields.Integer()
    visits_done = fields.Integer()
    visits_missed = fields.Integer()
    needs = fields.Integer()
    texts_sent = fields.Integer()
    texts_delivered = fields.Integer()
    replies = fields.Integer()


class NeedsOut(Output):
    categories = fields.Function(metadata={
        "description": "Per category: safety_net, total, by_month"}, serialize=lambda n: [
        {"category": c, "safety_net": n.safety_net(c), "total": n.totals[i],
         "by_month": [row[i] for row in n.by_month]} for i, c in enumerate(n.categories)])


class SummaryOut(Output):
    programme_id = fields.Integer(attribute="scope.programme.id")
    programme_name = fields.String(attribute="scope.programme.name")
    start = fields.Date(attribute="scope.start", data_key="from")
    end = fields.Date(attribute="scope.end", data_key="to")
    parish = fields.String(attribute="scope.parish")
    round_id = fields.Integer(attribute="scope.round_id", allow_none=True)
    generated_at = fields.AwareDateTime()
    months = fields.Method("_months", metadata={"description": "Month by month, local"})
    clients = fields.Nested(ClientsOut)
    visits = fields.Nested(VisitsOut)
    no_answers = fields.Nested(NoAnswersOut)
    needs = fields.Nested(NeedsOut)
    escalations_by_severity = fields.List(fields.Nested(SeverityOut),
                                          attribute="escalations.by_severity")
    escalations_by_recipient = fields.List(fields.Nested(RecipientOut),
                                           attribute="escalations.by_recipient")
    usefulness = fields.List(fields.Nested(UsefulnessOut))
    texts = fields.Nested(TextsOut, attribute="sms")
    wellbeing = fields.Nested(WellbeingOut)
    satisfaction = fields.Nested(SatisfactionOut)
    cost = fields.Nested(CostOut)

    def _months(self, d) -> list[dict]:
        return MonthOut(many=True).dump([{
            "month": label, "clients_enrolled": clients[0], "clients_left": clients[1],
            "visits_done": sum(visits[:-1]), "visits_missed": visits[-1], "needs": sum(needs),
            "texts_sent": texts[0], "texts_delivered": texts[1], "replies": texts[2],
        } for label, clients, visits, needs, texts in zip(
            d.scope.month_labels(), d.clients.by_month, d.visits.by_month, d.needs.by_month,
            d.sms.by_month, strict=True)])
