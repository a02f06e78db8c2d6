from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db
from outreach.enums import PrescriptionStatus, enum_column
from outreach.organisations.models import Organisation
from outreach.people.models import Client


class Appointment(TimestampMixin, db.Model):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(300), default="")
    with_whom: Mapped[str] = mapped_column(String(200), default="")
    transport_needed: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(String(1000), default="")
    cancelled_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship()


class Prescription(TimestampMixin, db.Model):
    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    pharmacy_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[PrescriptionStatus] = mapped_column(
        enum_column(PrescriptionStatus, "status"), default=PrescriptionStatus.READY, index=True)
    not_delivered_reason: Mapped[str] = mapped_column(String(500), default="")
    ready_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))

    client: Mapped[Client] = relationship()
    pharmacy: Mapped[Organisation | None] = relationship()
