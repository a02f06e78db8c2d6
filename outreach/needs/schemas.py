"""Input and output shapes for needs."""

from __future__ import annotations

from marshmallow import fields, validate

from outreach.enums import NeedCategory, NeedSeverity, NeedSource, NeedStatus
from outreach.schemas import MAX_ID, Id, Input, Output, Text, choice

# People report needs from a visit or a web page; sms and system needs come from the machines.
PEOPLE_SOURCES = [NeedSource.VISIT.value, NeedSource.WEB.value]
REPORTED_CATEGORIES = [c.value for c in NeedCategory if c.value not in {
    "missed_visit", "not_seen", "no_answer", "no_response", "invalid_number"}]


class NeedIn(Input):
    client_id = Id(required=True)
    # The safety-net categories are raised by the system alone: not offered, and refused.
    category = fields.String(required=True, validate=validate.OneOf(REPORTED_CATEGORIES))
    severity = fields.String(required=True, validate=choice(NeedSeverity))
    description = Text(load_default="", max_length=2000)
    source = fields.String(load_default=NeedSource.WEB.value,
                           validate=validate.OneOf(PEOPLE_SOURCES))


class NeedQuery(Input):
    # Query strings are text, so not the strict Id field.
    client_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    status = fields.String(load_default=None, validate=choice(NeedStatus))
    category = fields.String(load_default=None, validate=choice(NeedCategory))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class NeedOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    category = fields.String()
    severity = fields.String()
    source = fields.String()
    status = fields.String()
    description = fields.String()
    visit_id = fields.String(allow_none=True)
    raised_by_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    flagged_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
