"""What digital-literacy workshops hold about a client, for subject access and erasure:
enrolments, attendance and the skills they showed."""

from __future__ import annotations

from outreach.literacy.models import Attendance, SkillShown, WorkshopEnrolment
from outreach.people import subject_access


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table(
        "workshop_enrolments", WorkshopEnrolment,
        labels=lambda enrolment: {"workshop_title": enrolment.workshop.title})
    subject_access.register_table("attendance", Attendance)
    subject_access.register_table("skills_shown", SkillShown)
