"""Test data for outcome measures, for any test that needs a client's past askings."""

from __future__ import annotations

from datetime import datetime

from outreach.db import db, utcnow
from outreach.evaluation.models import (
    WELLBEING_ITEMS,
    MeasureKind,
    MeasureSource,
    OutcomeMeasure,
)
from outreach.people.models import Client

# A complete wellbeing asking: UCLA-3 total 6, ONS-4 middling.
FULL_WELLBEING = {"ucla_companionship": 2, "ucla_left_out": 1, "ucla_isolated": 3,
                  "ons_life_satisfaction": 7, "ons_worthwhile": 8, "ons_happy": 6,
                  "ons_anxious": 3}


def outcome_measure(client: Client, kind: MeasureKind | str = MeasureKind.WELLBEING,
                    source: MeasureSource | str = MeasureSource.VISIT, *,
                    asked_at: datetime | None = None, answers: dict | None = None,
                    declined: bool = False, **kw) -> OutcomeMeasure:
    """One asking stored directly (no audit): complete unless `answers` leaves items out or it
    was declined. Defaults: wellbeing, all seven answered (FULL_WELLBEING), asked now."""
    kind = MeasureKind(kind)
    if answers is None:
        answers = {} if declined else (
            FULL_WELLBEING if kind == MeasureKind.WELLBEING else {"satisfaction": 4})
    asked_at = asked_at or utcnow()
    items = WELLBEING_ITEMS if kind == MeasureKind.WELLBEING else ("satisfaction",)
    complete = not declined and all(answers.get(i) is not None for i in items)
    made = OutcomeMeasure(client_id=client.id, programme_id=client.programme_id, kind=kind,
                          source=MeasureSource(source), asked_at=asked_at, declined=declined,
                          completed_at=kw.pop("completed_at", asked_at if complete else None),
                          awaiting=kw.pop("awaiting", ""), **answers, **kw)
    db.session.add(made)
    db.session.flush()
    return made
