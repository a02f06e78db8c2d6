"""What self-report links hold about a client, for subject access and erasure."""

from __future__ import annotations

from outreach.people import subject_access
from outreach.selfreport.models import SelfReportLink


def declare() -> None:
    """Put the client's links in the export (without the token's digest) and in erasure."""
    subject_access.register_table("self_report_links", SelfReportLink,
                                  exclude=("token_digest",))
