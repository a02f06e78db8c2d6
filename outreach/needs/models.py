from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db
from outreach.enums import NeedCategory, NeedSeverity, NeedSource, NeedStatus, enum_column
from outreach.people.models import Client


class Need(TimestampMixin, db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    category: Mapped[NeedCategory] = mapped_column(enum_column(NeedCategory, "category"),
                                                   index=True)
    severity: Mapped[NeedSeverity] = mapped_column(enum_column(NeedSeverity, "severity"))
    source: Mapped[NeedSource] = mapped_column(enum_column(NeedSource, "source"))
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "status"),
                                               default=NeedStatus.OPEN, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    visit_id: Mapped[str | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the safety net put it in front of the coordinator (e.g. no-answer window passed).
    flagged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(String(1000), default="")

    client: Mapped[Client] = relationship()
