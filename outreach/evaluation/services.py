"""Who is due to be asked the outcome measures, and storing the answers however they came.

The wellbeing questions (UCLA-3 and ONS-4) are due at enrolment and then every three months;
the satisfaction question once a quarter. Whichever route asks first (the visitor on the
doorstep, a run of texts, a coordinator on the telephone) settles it until the next one is due:
an asking that was declined or left half-answered counts as asked, so nobody is pestered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import VisitOutcome
from outreach.errors import ValidationFailed
from outreach.evaluation.models import (
    ITEM_RANGES,
    WELLBEING_ITEMS,
    MeasureKind,
    MeasureSource,
    OutcomeMeasure,
)
from outreach.people.models import Client
from outreach.people.services import deny, get_client

# Three months, a little short so that a quarterly visit on the same weekday is never a day
# early for it.
EVERY = {MeasureKind.WELLBEING: timedelta(days=84), MeasureKind.SATISFACTION: timedelta(days=84)}
SEEN = (VisitOutcome.SEEN_WELL, VisitOutcome.SEEN_CONCERN)  # the doorstep outcomes that ask
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


def next_due(client: Client, kind: MeasureKind | str, now: datetime) -> datetime:
    """When the client is next due this kind of measure (`now` when due already)."""
    asked = last_asked([client.id], kind).get(client.id)
    if asked is None:
        return now
    return max(now, asked + EVERY[MeasureKind(kind)])


def record_from_visit(actor: User, client: Client, visit, measures: Mapping | None):
    """Store the wellbeing answers given on the doorstep with the visit, if any were asked.

    Nothing is stored when the section was left untouched (not asked) or the client was not
    seen; a refusal or some answers count as an asking, dated when the visit was made.
    """
    if not measures or VisitOutcome(visit.outcome) not in SEEN:
        return None
    answers = {k: v for k, v in (measures.get("answers") or {}).items() if v is not None}
    declined = bool(measures.get("declined"))
    if not declined and not answers:
        return None
    return record_measure(actor, client, MeasureKind.WELLBEING, MeasureSource.VISIT,
                          {} if declined else answers, visit.visited_at, declined=declined,
                          visit=visit)


def client_for_measures(actor: User, client_id: int) -> Client:
    """The client, if `actor` manages them: the answers are for the programme's staff only."""
    client = get_client(actor, client_id, purpose="measures")
    if not access.can_manage_client(actor, client):
        deny(actor, client, "measures")
    return client


def measures_of(client: Client, kind: MeasureKind | str | None = None) -> Select:
    """A query for the client's measures, optionally of one kind."""
    query = select(OutcomeMeasure).where(OutcomeMeasure.client_id == client.id)
    if kind is not None:
        query = query.where(OutcomeMeasure.kind == MeasureKind(kind))
    return query
