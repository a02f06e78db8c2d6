"""Input and output shapes for consents."""

from marshmallow import ValidationError, fields, validates_schema

from outreach.enums import ConsentPurpose
from outreach.schemas import AwareDateTime, Id, Input, Output, Text, choice


class ConsentIn(Input):
    purpose = fields.String(required=True, validate=choice(ConsentPurpose))
    organisation_id = Id(load_default=None, allow_none=True)
    contact_id = Id(load_default=None, allow_none=True)
    given_by = Text(load_default="client", max_length=200)
    given_at = AwareDateTime(load_default=None, allow_none=True)
    note = Text(load_default="", max_length=1000)

    @validates_schema
    def recipient_matches_purpose(self, data, **kwargs):
        recipients = [k for k in ("organisation_id", "contact_id") if data.get(k) is not None]
        if data.get("purpose") == ConsentPurpose.SHARE_INFORMATION and len(recipients) != 1:
            raise ValidationError(
                "Consent to share names exactly one organisation or one contact.",
                "organisation_id",
            )
        if data.get("purpose") == ConsentPurpose.TAKE_PART and recipients:
            raise ValidationError("Consent to take part names no recipient.", recipients[0])


class WithdrawIn(Input):
    reason = Text(load_default="", max_length=500)
    withdrawn_at = AwareDateTime(load_default=None, allow_none=True)


class ConsentOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    purpose = fields.String()
    organisation_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    given_by = fields.String()
    given_at = fields.AwareDateTime()
    recorded_by_id = fields.Integer(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    withdrawn_by_id = fields.Integer(allow_none=True)
    withdrawal_reason = fields.String()
    note = fields.String()
    active = fields.Boolean()
