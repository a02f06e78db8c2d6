from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import db, utcnow


class AuditEvent(db.Model):
    """An append-only record. `detail` must never hold personal data, only ids and field names."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Kept as a plain id (no foreign key) so the trail outlives an erased user or client.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    client_id: Mapped[int | None] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(String(20), default="")  # web | api | cli | system
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


__all__ = ["AuditEvent"]
