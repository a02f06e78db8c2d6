"""What visits hold about a client, for subject access and erasure: visits, the visit plan,
pauses and missed visits."""

from __future__ import annotations

from outreach.people import subject_access
from outreach.visits.models import MissedVisit, Visit, VisitPause, VisitPlan


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table("visit_plans", VisitPlan)
    subject_access.register_table("visit_pauses", VisitPause)
    subject_access.register_table("visits", Visit)
    subject_access.register_table("missed_visits", MissedVisit)
