"""What needs hold about a client, for subject access and erasure."""

from __future__ import annotations

from outreach.needs.models import Need
from outreach.people import subject_access


def declare() -> None:
    """Put the client's needs in the export and in erasure."""
    subject_access.register_table("needs", Need)
