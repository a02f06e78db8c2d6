"""What care holds about a client, for subject access and erasure: appointments and
prescriptions."""

from __future__ import annotations

from outreach.care.models import Appointment, Prescription
from outreach.people import subject_access


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table("appointments", Appointment)
    subject_access.register_table(
        "prescriptions", Prescription,
        labels=lambda p: {"pharmacy_name": p.pharmacy.name if p.pharmacy else None})
