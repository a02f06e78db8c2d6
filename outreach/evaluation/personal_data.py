"""What outcome measures hold about a client, for subject access and erasure."""

from __future__ import annotations

from outreach.evaluation.models import OutcomeMeasure
from outreach.people import subject_access


def declare() -> None:
    """Put the client's askings of the outcome measures in the export and in erasure."""
    subject_access.register_table("outcome_measures", OutcomeMeasure)
