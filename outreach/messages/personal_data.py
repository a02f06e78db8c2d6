"""What texts hold about a client, for subject access and erasure: every text to or from
them or their contacts, and each text's status history."""

from __future__ import annotations

from outreach.messages.models import Message, MessageEvent
from outreach.people import subject_access


def declare() -> None:
    """Put each table in the export and in erasure."""
    subject_access.register_table("messages", Message)
    subject_access.register_table("message_events", MessageEvent)
