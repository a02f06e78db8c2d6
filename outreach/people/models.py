from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, ForeignKey, Index, String, Text, UniqueConstraint, event, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db, utcnow
from outreach.enums import ContactReceives, EnrolmentStatus, Language, enum_column
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme


class Client(TimestampMixin, db.Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The programme the client was first enrolled in; all programmes are in `enrolments`.
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(index=True)  # duplicate guard
    address: Mapped[str] = mapped_column(String(500), default="")
    parish: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(320))
    preferred_language: Mapped[Language] = mapped_column(
        enum_column(Language, "preferred_language"), default=Language.ENGLISH
    )
    lives_alone: Mapped[bool] = mapped_column(default=False)
    gp_practice_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    access_notes: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    walk_order: Mapped[int | None]
    # Set by the retention job once the client's personal details are removed (outreach/retention).
    anonymised_at: Mapped[datetime | None]

    programme: Mapped[Programme] = relationship()
    gp_practice: Mapped[Organisation | None] = relationship()
    enrolments: Mapped[list[ProgrammeEnrolment]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ProgrammeEnrolment.id"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.id"
    )

    def __repr__(self) -> str:  # no personal data in logs
        return f"<Client {self.id}>"


# The search's `lower(full_name) LIKE '%q%' OR lower(parish) LIKE ... OR phone LIKE ...` (see
# people.services.visible_clients): one trigram index answers each term, instead of reading every
# client. PostgreSQL only (pg_trgm); SQLite reads the table.
Index("ix_clients_search",
      func.lower(Client.full_name).label("lower_full_name"),
      func.lower(Client.parish).label("lower_parish"), Client.phone,
      postgresql_using="gin",
      postgresql_ops={"lower_full_name": "gin_trgm_ops", "lower_parish": "gin_trgm_ops",
                      "phone": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
# The index needs the extension wherever the tables are made without the migrations (tests,
# `create_all`); migration 0012 creates it for databases made by upgrading.
event.listen(Client.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class ProgrammeEnrolment(db.Model):
    """A client's membership of a programme (distinct from a workshop enrolment)."""

    __tablename__ = "programme_enrolments"
    __table_args__ = (UniqueConstraint("client_id", "programme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_column(EnrolmentStatus, "status"), default=EnrolmentStatus.ACTIVE
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    leaving_reason: Mapped[str] = mapped_column(String(500), default="")

    client: Mapped[Client] = relationship(back_populates="enrolments")
    programme: Mapped[Programme] = relationship()


class Contact(TimestampMixin, db.Model):
    """A client's designated contact: family, neighbour or carer."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_client: Mapped[str] = mapped_column("relationship", String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    preferred_language: Mapped[Language] = mapped_column(
        enum_column(Language, "preferred_language"), default=Language.ENGLISH
    )
    receives_visit_reports: Mapped[bool] = mapped_column(default=False)
    receives_alerts: Mapped[bool] = mapped_column(default=True)

    client: Mapped[Client] = relationship(back_populates="contacts")

    @property
    def receives(self) -> list[str]:
        """What this contact has chosen to receive, in the glossary's words."""
        chosen = []
        if self.receives_visit_reports:
            chosen.append(ContactReceives.VISIT_REPORTS.value)
        if self.receives_alerts:
            chosen.append(ContactReceives.ALERTS.value)
        return chosen

    @receives.setter
    def receives(self, values: list[str]) -> None:
        self.receives_visit_reports = ContactReceives.VISIT_REPORTS in values
        self.receives_alerts = ContactReceives.ALERTS in values
