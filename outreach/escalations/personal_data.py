"""What escalations hold about a client, for subject access and erasure: the escalations, the
needs each joined, their timelines (notes included) and the webhook deliveries made of them."""

from __future__ import annotations

from outreach.escalations.models import (
    Escalation,
    EscalationEvent,
    EscalationNeed,
    WebhookDelivery,
)
from outreach.people import subject_access


def _recipient(escalation: Escalation) -> dict:
    return {"organisation_name": escalation.organisation.name
            if escalation.organisation else None}


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table("escalations", Escalation, labels=_recipient)
    subject_access.register_table("escalation_needs", EscalationNeed)
    subject_access.register_table("escalation_events", EscalationEvent)
    subject_access.register_table(
        "webhook_deliveries", WebhookDelivery,
        labels=lambda delivery: {"organisation_name": delivery.organisation.name})
