"""Self-report links: what lets a client (or their family) reach the form without a login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import db, utcnow
from outreach.people.models import Client


class SelfReportLink(db.Model):
    """One texted link to the form. Only the token's SHA-256 is kept: the database alone (a
    backup, a read-only leak) never gives anyone a working link."""

    __tablename__ = "self_report_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    uses: Mapped[int] = mapped_column(default=0)

    client: Mapped[Client] = relationship()

    def __repr__(self) -> str:  # ids only: no token, no personal data in logs
        return f"<SelfReportLink {self.id} client={self.client_id}>"
