from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.auth.models import User
from outreach.db import TimestampMixin, db
from outreach.programmes.models import Programme


class Round(TimestampMixin, db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(200), default="")
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # ISO weekdays the round runs on, e.g. "1,2,3,4,5" for Monday to Friday.
    weekdays: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")

    programme: Mapped[Programme] = relationship()
    visitor: Mapped[User | None] = relationship()

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d]


class RoundCover(TimestampMixin, db.Model):
    """Holiday cover: another visitor walks the round for a date range."""

    __tablename__ = "round_covers"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500), default="")

    round: Mapped[Round] = relationship()
    visitor: Mapped[User] = relationship()
