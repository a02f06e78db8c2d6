from __future__ import annotations

from datetime import time
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import TimestampMixin, db
from outreach.enums import ProgrammeKind, enum_column
from outreach.organisations.models import Organisation


class Programme(TimestampMixin, db.Model):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProgrammeKind] = mapped_column(enum_column(ProgrammeKind, "kind"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Jersey")
    description: Mapped[str] = mapped_column(String(2000), default="")
    # After a no-answer, how long designated contacts have before the coordinator is told.
    no_answer_window_minutes: Mapped[int] = mapped_column(default=120)
    # SMS: a check-in text unanswered this long raises a `no_response` need.
    check_in_reply_window_minutes: Mapped[int] = mapped_column(default=240)
    # Programme-local time the daily check-in texts go out.
    check_in_time: Mapped[time] = mapped_column(default=time(10, 0))
    # Non-urgent texts are held between these programme-local times.
    quiet_hours_start: Mapped[time] = mapped_column(default=time(21, 0))
    quiet_hours_end: Mapped[time] = mapped_column(default=time(8, 0))
    # The number this programme texts from; blank: the deployment's TWILIO_FROM_NUMBER.
    sms_number: Mapped[str] = mapped_column(String(32), default="")
    # What one visit costs the programme (staff time, travel), for the dashboard's cost per
    # visit; in the operator's currency (the example, £6.75, by default).
    cost_per_visit: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("6.75"))

    operator: Mapped[Organisation] = relationship()
