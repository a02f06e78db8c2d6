"""Outcome measures: a client's answers to the UCLA-3 loneliness scale and the ONS-4 personal
wellbeing questions (a "wellbeing" measure), or to the one quarterly satisfaction question.

One row is one asking, on one day, by one route (the visitor's form, a run of texts, the web).
Answers are whole-number columns rather than a JSON blob so that every figure of the programme
dashboard is a plain SQL aggregate. A row begun by text fills in one answer per reply;
`completed_at` is set once every question of its kind has an answer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import db, utcnow
from outreach.enums import enum_column
from outreach.people.models import Client


class MeasureKind(StrEnum):
    WELLBEING = "wellbeing"  # UCLA-3 and ONS-4, at enrolment and every 3 months
    SATISFACTION = "satisfaction"  # one question a quarter, by text


class MeasureSource(StrEnum):
    VISIT = "visit"
    SMS = "sms"
    WEB = "web"


# Item columns and their ranges. UCLA-3: 1 hardly ever, 2 some of the time, 3 often (total
# 3..9, higher is lonelier). ONS-4: 0 not at all .. 10 completely (anxiety: higher is worse).
UCLA_ITEMS = ("ucla_companionship", "ucla_left_out", "ucla_isolated")
ONS_ITEMS = ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious")
WELLBEING_ITEMS = UCLA_ITEMS + ONS_ITEMS
ITEM_RANGES = {**{item: (1, 3) for item in UCLA_ITEMS}, **{item: (0, 10) for item in ONS_ITEMS},
               "satisfaction": (1, 5)}


def _in_range(item: str) -> CheckConstraint:
    low, high = ITEM_RANGES[item]
    return CheckConstraint(f"{item} IS NULL OR {item} BETWEEN {low} AND {high}",
                           name=f"{item}_range")


class OutcomeMeasure(db.Model):
    """One asking of the wellbeing questions or the satisfaction question, with the answers."""

    __tablename__ = "outcome_measures"
    __table_args__ = (
        *(_in_range(item) for item in ITEM_RANGES),
        Index("ix_outcome_measures_client_id_kind_asked_at", "client_id", "kind", "asked_at"),
        Index("ix_outcome_measures_programme_id_completed_at", "programme_id", "completed_at"),
        # The dashboard's first and last measure per client, read in order from the index
        # alone on PostgreSQL (migration 0010).
        Index("ix_outcome_measures_programme_id_kind_client_id_completed_at", "programme_id",
              "kind", "client_id", "completed_at", "id",
              postgresql_include=["declined", *WELLBEING_ITEMS, "satisfaction"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind, "kind"))
    source: Mapped[MeasureSource] = mapped_column(enum_column(MeasureSource, "source"))
    visit_id: Mapped[str | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    # The user who recorded it (a visitor or coordinator); none for answers by text.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # By text: the item asked last and waiting for its answer ("" when none is waiting).
    awaiting: Mapped[str] = mapped_column(String(40), default="")
    # The client said they would rather not answer (by text: STOP is opt-out, so any refusal).
    declined: Mapped[bool] = mapped_column(default=False)

    ucla_companionship: Mapped[int | None]
    ucla_left_out: Mapped[int | None]
    ucla_isolated: Mapped[int | None]
    ons_life_satisfaction: Mapped[int | None]
    ons_worthwhile: Mapped[int | None]
    ons_happy: Mapped[int | None]
    ons_anxious: Mapped[int | None]
    satisfaction: Mapped[int | None]

    client: Mapped[Client] = relationship()

    @property
    def ucla_total(self) -> int | None:
        """The UCLA-3 score, 3..9, once all three items are answered."""
        values = [getattr(self, item) for item in UCLA_ITEMS]
        return None if None in values else sum(values)

    def __repr__(self) -> str:  # no personal data in logs
        return f"<OutcomeMeasure {self.id} {self.kind}>"
