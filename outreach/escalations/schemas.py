"""Input and output shapes for escalations, their feed and routing rules.

What a recipient is shown is the minimum it needs: the client's name, date of birth, address
and phone, the need (and any repeat reports of it) and this escalation's own timeline; never the
client's other needs, notes or contacts. Even that only while `escalations.disclosure` allows:
otherwise the client is null, the words are blank and `withdrawn` says why.
"""

from __future__ import annotations

from marshmallow import fields, post_dump, validate, validates_schema
from marshmallow.exceptions import ValidationError

from outreach.db import utcnow
from outreach.enums import (
    EscalationOutcome,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    RecipientKind,
)
from outreach.redaction import redact_notes
from outreach.schemas import MAX_ID, Id, Input, Output, Text, choice

QueryId = fields.Integer  # query strings are text, so not the strict Id field
MINUTES = validate.Range(min=1, max=366 * 24 * 60)


class EscalationQuery(Input):
    since = fields.String(load_default=None, metadata={
        "description": "Read the event feed from this cursor (blank or 0: the beginning); "
                       "items are then events, each with its escalation."})
    status = fields.String(load_default=None, validate=choice(EscalationStatus))
    programme_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    client_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    organisation_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    category = fields.String(load_default=None, validate=choice(NeedCategory))
    severity = fields.String(load_default=None, validate=choice(NeedSeverity))
    overdue = fields.Boolean(load_default=None)
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class NoteIn(Input):
    note = Text(required=True, required_text=True, max_length=4000)


class OptionalNoteIn(Input):
    note = Text(load_default="", max_length=4000)


class ResolveIn(Input):
    outcome = fields.String(required=True, validate=choice(EscalationOutcome))
    usefulness = fields.Integer(strict=True, load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=5))
    note = Text(load_default="", max_length=4000)


class ReassignIn(Input):
    organisation_id = Id(load_default=None, allow_none=True)
    contact_id = Id(load_default=None, allow_none=True)
    note = Text(load_default="", max_length=4000)

    @validates_schema
    def _one_recipient(self, data, **kwargs):
        if (data.get("organisation_id") is None) == (data.get("contact_id") is None):
            raise ValidationError("Give organisation_id or contact_id, not both.",
                                  field_name="organisation_id")


class ClientSummary(Output):
    id = fields.Integer()
    full_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    address = fields.String()
    phone = fields.String(allow_none=True)


class NeedSummary(Output):
    id = fields.Integer()
    category = fields.String()
    severity = fields.String()
    source = fields.String()
    description = fields.String()
    created_at = fields.AwareDateTime()


WITHDRAWN_DOC = {"description": "Why the escalation was taken back from you, when it was: "
                                 "consent_withdrawn or erased (client, words and notes are then "
                                 "left out; remove your copies). Null otherwise.",
                 "enum": ["consent_withdrawn", "erased", None]}


class EscalationEventOut(Output):
    id = fields.Integer()
    escalation_id = fields.Integer(attribute="subject_id")
    kind = fields.String()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    via = fields.String()
    note = fields.String()
    detail = fields.Dict()


class EscalationOut(Output):
    id = fields.Integer()
    need_id = fields.Integer()
    client_id = fields.Integer()
    programme_id = fields.Integer()
    organisation_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    category = fields.String()
    severity = fields.String()
    status = fields.String()
    tier = fields.Integer()
    routed_because = fields.String()
    due_at = fields.AwareDateTime()
    resolve_due_at = fields.AwareDateTime()
    overdue = fields.Method("_overdue", metadata={"type": "boolean"})
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_note = fields.String()
    usefulness = fields.Integer(allow_none=True)
    escalated_at = fields.AwareDateTime(allow_none=True)
    previous_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    client = fields.Nested(ClientSummary, allow_none=True)
    needs = fields.Method("_needs", metadata={"type": "array", "items": {"type": "object"}})
    # Set by _disclose below (escalations have no such column): always present, null or why.
    withdrawn = fields.String(dump_default=None, allow_none=True, metadata=WITHDRAWN_DOC)

    def _overdue(self, escalation) -> bool:
        return escalation.overdue(utcnow())

    def _needs(self, escalation) -> list[dict]:
        from sqlalchemy import inspect

        from outreach.escalations.queries import carried_needs

        # Loaded with its page (queries.WITH_SUMMARY): no query of its own.
        loaded = "needs" not in inspect(escalation).unloaded
        return _NEED_SUMMARIES.dump(escalation.needs if loaded else carried_needs(escalation))

    @post_dump(pass_original=True)
    def _disclose(self, data: dict, escalation, **kwargs) -> dict:
        """Keep back what the reader may no longer see (the one rule: escalations.disclosure)."""
        from outreach.escalations.disclosure import judge, withhold

        return withhold(data, judge(escalation))


_NEED_SUMMARIES = NeedSummary(many=True)  # made once: a schema per row costs more than the dump


class EscalationDetailOut(EscalationOut):
    events = fields.List(fields.Nested(EscalationEventOut))


class FeedItemOut(EscalationEventOut):
    cursor = fields.Method("_cursor", metadata={"type": "string", "nullable": True})
    escalation = fields.Nested(EscalationOut, allow_none=True, metadata={
        "description": "Null once the escalation was erased with its client (a withdrawn "
                       "event)."})

    @post_dump
    def _redacted(self, data, **kwargs):
        # Pulled or pushed (webhooks) into another system: notes go without contact details.
        return redact_notes(data)

    def _cursor(self, event) -> str:
        from outreach.escalations.feed import cursor_of

        return cursor_of(event)

    @post_dump(pass_original=True)
    def _disclose(self, data: dict, event, **kwargs) -> dict:
        """The event's note goes with its escalation's client: kept back when the client is."""
        from outreach.escalations.disclosure import judge

        if not judge(event.escalation).shown:
            data["note"] = ""
        return data


# --- Routing rules ------------------------------------------------------------------------


class RecipientIn(Input):
    kind = fields.String(required=True, validate=choice(RecipientKind))
    organisation_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _organisation_when_named(self, data, **kwargs):
        named = data.get("organisation_id") is not None
        if (data["kind"] == RecipientKind.ORGANISATION) != named:
            raise ValidationError("organisation_id is given with kind organisation, and only "
                                  "then.", field_name="organisation_id")


class RoutingRuleIn(Input):
    programme_id = Id(required=True)
    category = fields.String(load_default=None, allow_none=True, validate=choice(NeedCategory))
    severity = fields.String(load_default=None, allow_none=True, validate=choice(NeedSeverity))
    recipients = fields.List(fields.Nested(RecipientIn), required=True,
                             validate=validate.Length(min=1, max=20))
    fallback = fields.List(fields.Nested(RecipientIn), load_default=list,
                           validate=validate.Length(max=20))
    acknowledge_minutes = fields.Integer(strict=True, load_default=None, allow_none=True,
                                         validate=MINUTES)
    resolve_minutes = fields.Integer(strict=True, load_default=None, allow_none=True,
                                     validate=MINUTES)
    note = Text(load_default="", max_length=500)


class RoutingRuleQuery(Input):
    programme_id = QueryId(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class RecipientOut(Output):
    kind = fields.String()
    organisation_id = fields.Integer(allow_none=True)


class RoutingRuleOut(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    category = fields.String(allow_none=True)
    severity = fields.String(allow_none=True)
    recipients = fields.Method("_first", metadata={"type": "array", "items": {"type": "object"}})
    fallback = fields.Method("_fallback", metadata={"type": "array",
                                                    "items": {"type": "object"}})
    acknowledge_minutes = fields.Integer(allow_none=True)
    resolve_minutes = fields.Integer(allow_none=True)
    note = fields.String()

    def _first(self, rule) -> list[dict]:
        return RecipientOut(many=True).dump([r for r in rule.recipients if r.tier == 1])

    def _fallback(self, rule) -> list[dict]:
        return RecipientOut(many=True).dump([r for r in rule.recipients if r.tier == 2])
