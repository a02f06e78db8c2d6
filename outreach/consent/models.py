from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db
from outreach.enums import ConsentPurpose, enum_column
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact


class Consent(TimestampMixin, db.Model):
    __tablename__ = "consents"
    __table_args__ = (
        # Sharing names exactly one recipient; taking part names none.
        CheckConstraint(
            "(purpose = 'take_part' AND organisation_id IS NULL AND contact_id IS NULL) OR "
            "(purpose = 'share_information' AND "
            "(organisation_id IS NULL) <> (contact_id IS NULL))",
            name="recipient_matches_purpose",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "purpose"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # Who gave it: the client, or someone with authority to act for them.
    given_by: Mapped[str] = mapped_column(String(200), default="client")
    given_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    withdrawal_reason: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")

    client: Mapped[Client] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    contact: Mapped[Contact | None] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
