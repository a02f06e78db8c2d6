"""Who is due to be asked the outcome measures, and storing the answers however they came.

The wellbeing questions (UCLA-3 and ONS-4) are due at enrolment and then every three months;
the satisfaction question once a quarter. Whichever route asks first (the visitor on the
doorstep, a run of texts, a coordinator on the telephone) settles it until the next one is due:
an asking that was declined or left half-answered counts as asked, so nobody is pestered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.db import db
from outreach.errors import ValidationFailed
from outreach.evaluation.models import (
    ITEM_RANGES,
    WELLBEING_ITEMS,
    MeasureKind,
    MeasureSource,
    OutcomeMeasure,
)
from outreach.people.models import Client

# Three months, a little short so that a quarterly visit on the same weekday is never a day
# early for it.
EVERY = {MeasureKind.WELLBEING: timedelta(days=84), MeasureKind.SATISFACTION: timedelta(days=84)}
ITEMS = {MeasureKind.WELLBEING: WELLBEING_ITEMS, MeasureKind.SATISFACTION: ("satisfaction",)}


def last_asked(client_ids: Iterable[int], kind: MeasureKind | str) -> dict[int, datetime]:
    """When each of these clients was last asked this kind of measure (absent: never)."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(OutcomeMeasure.client_id, func.max(OutcomeMeasure.asked_at))
        .where(OutcomeMeasure.client_id.in_(ids), OutcomeMeasure.kind == MeasureKind(kind))
        .group_by(OutcomeMeasure.client_id))
    return dict(rows.all())


def due(client_ids: Iterable[int], kind: MeasureKind | str, now: datetime) -> set[int]:
    """The clients among `client_ids` due to be asked this kind of measure at `now`."""
    ids = set(client_ids)
    asked = last_asked(ids, kind)
    every = EVERY[MeasureKind(kind)]
    return {i for i in ids if i not in asked or asked[i] <= now - every}


def check_answers(kind: MeasureKind | str, answers: Mapping[str, object]) -> dict[str, int]:
    """The answers of this kind, checked: known items only, whole numbers in range.

    Raises ValidationFailed naming each bad item; a blank answer (None) is left out.
    """
    items = ITEMS[MeasureKind(kind)]
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for item, value in answers.items():
        if item not in items:
            errors[item] = ["Not a question of this measure."]
            continue
        if value is None:
            continue
        low, high = ITEM_RANGES[item]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[item] = [f"Give a whole number from {low} to {high}."]
            continue
        clean[item] = value
    if errors:
        raise ValidationFailed("Some answers are not valid.", fields=errors)
    return clean


def record_measure(actor: User | None, client: Client, kind: MeasureKind | str,
                   source: MeasureSource | str, answers: Mapping[str, object], now: datetime, *,
                   declined: bool = False, visit=None) -> OutcomeMeasure:
    """Store one asking with the answers given (all, some, or none when declined)."""
    kind, source = MeasureKind(kind), MeasureSource(source)
    clean = check_answers(kind, answers)
    measure = OutcomeMeasure(client_id=client.id, programme_id=client.programme_id, kind=kind,
                             source=source, visit_id=getattr(visit, "id", None),
                             recorded_by_id=getattr(actor, "id", None), asked_at=now,
                             declined=declined, awaiting="", **clean)
    if not declined and set(clean) == set(ITEMS[kind]):
        measure.completed_at = now
    db.session.add(measure)
    db.session.flush()
    record(actor, "measure.record", subject=measure, client_id=client.id,
           detail={"kind": kind.value, "source": source.value, "items": sorted(clean),
                   "declined": declined})
    return measure


def set_answer(measure: OutcomeMeasure, item: str, value: int, now: datetime) -> bool:
    """Store one answer (given by text); True once every question of the measure is answered."""
    check_answers(measure.kind, {item: value})
    setattr(measure, item, value)
    if all(getattr(measure, i) is not None for i in ITEMS[measure.kind]):
        measure.completed_at = now
        measure.awaiting = ""
    db.session.flush()
    return measure.completed_at is not None
