from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import TimestampMixin, db
from outreach.enums import OrganisationKind, enum_column


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Where escalation events are POSTed, signed with the secret (HMAC-SHA256). The secret must
    # be kept to sign with, so it is stored as is; it is shown once and never logged.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    # Since when its deliveries have kept failing (None: working, or no webhook).
    webhook_failing_since: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind}>"
