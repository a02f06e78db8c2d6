"""Visit plans, planned pauses, holiday cover, walking order, and the day's due list."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from outreach.audit.services import record, record_listing
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Forbidden, NotFound, ValidationFailed
from outreach.people.models import Client
from outreach.people.services import get_client
from outreach.programmes.models import Programme
from outreach.rounds.models import Round, RoundCover
from outreach.visits.models import VisitPause, VisitPlan
from outreach.visits.schedule import DueClient, due_clients, local_date, visitor_on

PLAN_FIELDS = ("frequency", "window_start", "window_end", "starts_on", "ends_on",
               "sms_check_ins")


def local_today(programme: Programme) -> date:
    """Today's date where the programme runs."""
    return local_date(utcnow(), programme.timezone)


# --- Visit plans ------------------------------------------------------------------------------


def find_plan(client: Client) -> VisitPlan | None:
    """The client's plan, if any."""
    return db.session.scalar(select(VisitPlan).where(VisitPlan.client_id == client.id))


def get_plan(actor: User, client_id: int) -> VisitPlan:
    """The plan of a client `actor` may see (the read of the client is audited)."""
    client = get_client(actor, client_id, purpose="visit_plan")
    plan = find_plan(client)
    if plan is None:
        raise NotFound("This client has no visit plan yet.")
    return plan


def _round_of_programme(client: Client, round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.programme_id != client.programme_id:
        raise ValidationFailed("The round must be one of the client's programme.",
                               fields={"round_id": ["Not a round of this client's programme."]})
    return round_


def set_plan(actor: User, client: Client, data: dict) -> VisitPlan:
    """Replace the client's plan and place them on a round (PUT: what is not given is reset)."""
    round_id = data.get("round_id")
    if round_id is not None:
        _round_of_programme(client, round_id)
    plan = find_plan(client)
    created = plan is None
    values = dict(data)
    if values.get("starts_on") is None:
        values["starts_on"] = local_today(client.programme) if created else plan.starts_on
    if created:
        plan = VisitPlan(client_id=client.id)
        db.session.add(plan)
    if values.get("ends_on") is not None and values["ends_on"] < values["starts_on"]:
        raise ValidationFailed("The end date is before the start date.",
                               fields={"ends_on": ["Must be on or after the start date."]})
    for key in PLAN_FIELDS:
        setattr(plan, key, values.get(key))
    plan.sms_check_ins = bool(values.get("sms_check_ins"))
    plan.weekdays = ",".join(str(d) for d in sorted(values.get("weekdays") or []))
    old_round = client.round_id
    _place(client, round_id, data.get("walk_order"))
    db.session.flush()
    record(actor, "visit_plan.create" if created else "visit_plan.update", subject=plan,
           client_id=client.id, detail={"round_id": round_id, "previous_round_id": old_round})
    return plan


def _place(client: Client, round_id: int | None, walk_order: int | None) -> None:
    """Put the client at `walk_order` on the round (the end if not given), renumbering 1..n."""
    old_round = client.round_id
    if round_id is None:
        client.round_id, client.walk_order = None, None
        if old_round is not None:
            db.session.flush()
            _renumber(old_round, _ordered_ids(old_round))
        return
    if walk_order is None and old_round == round_id and client.walk_order is not None:
        return  # staying where they are
    others = [cid for cid in _ordered_ids(round_id) if cid != client.id]
    position = len(others) if walk_order is None else min(walk_order - 1, len(others))
    others.insert(position, client.id)
    client.round_id = round_id
    db.session.flush()
    _renumber(round_id, others)
    if old_round is not None and old_round != round_id:
        _renumber(old_round, _ordered_ids(old_round))


def _ordered_ids(round_id: int) -> list[int]:
    return list(db.session.scalars(
        select(Client.id).where(Client.round_id == round_id)
        .order_by(Client.walk_order.is_(None), Client.walk_order, Client.id)))


def _renumber(round_id: int, client_ids: list[int]) -> None:
    clients = {c.id: c for c in db.session.scalars(
        select(Client).where(Client.round_id == round_id))}
    for position, cid in enumerate(client_ids, start=1):
        clients[cid].walk_order = position


def delete_plan(actor: User, client: Client) -> None:
    """Stop planned visits: the plan goes and the client leaves their round."""
    plan = find_plan(client)
    if plan is None:
        raise NotFound("This client has no visit plan.")
    record(actor, "visit_plan.delete", subject=plan, client_id=client.id,
           detail={"round_id": client.round_id})
    db.session.delete(plan)
    _place(client, None, None)
    db.session.flush()


# --- Pauses -----------------------------------------------------------------------------------


def list_pauses(client: Client):
    """A query for the client's pauses, by id (for cursor pagination)."""
    return select(VisitPause).where(VisitPause.client_id == client.id)


def pauses_by_date(client: Client) -> list[VisitPause]:
    """The client's pauses, soonest first, for pages."""
    return list(db.session.scalars(list_pauses(client).order_by(VisitPause.starts_on,
                                                                VisitPause.id)))


def add_pause(actor: User, client: Client, data: dict) -> VisitPause:
    """Record a planned absence (hospital stay, holiday): no visit is due while it lasts."""
    pause = VisitPause(client_id=client.id, starts_on=data["starts_on"], ends_on=data["ends_on"],
                       reason=data.get("reason", ""))
    db.session.add(pause)
    db.session.flush()
    record(actor, "visit_pause.create", subject=pause, client_id=client.id,
           detail={"starts_on": pause.starts_on.isoformat(), "ends_on": pause.ends_on.isoformat()})
    return pause


def delete_pause(actor: User, client: Client, pause_id: int) -> None:
    """Remove one of the client's pauses."""
    pause = db.session.get(VisitPause, pause_id)
    if pause is None or pause.client_id != client.id:
        raise NotFound("No such pause for this client.")
    record(actor, "visit_pause.delete", subject=pause, client_id=client.id)
    db.session.delete(pause)
    db.session.flush()


# --- Rounds: access, cover and walking order --------------------------------------------------


def managed_round(actor: User, round_id: int) -> Round:
    """A round `actor` may change: 404 if they cannot see it, 403 if they only see it."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not _sees_round(actor, round_):
        raise NotFound("No such round.")
    if not access.can_manage_programme(actor, round_.programme):
        raise Forbidden("You cannot change this round.")
    return round_


def _sees_round(actor: User, round_: Round) -> bool:
    if actor.role in (Role.ADMIN, Role.COORDINATOR):
        return access.can_manage_programme(actor, round_.programme)
    if actor.role == Role.VISITOR:
        walker = visitor_on(round_, local_today(round_.programme))
        return actor.id in (round_.visitor_id, getattr(walker, "id", None))
    return False


def managed_rounds(actor: User) -> list[Round]:
    """The rounds `actor` manages, by programme and name."""
    query = select(Round).join(Programme).order_by(Programme.name, Round.name, Round.id)
    if actor.role != Role.ADMIN:
        if actor.role != Role.COORDINATOR:
            return []
        query = query.where(Programme.operator_id == actor.organisation_id)
    return list(db.session.scalars(query))


def list_covers(round_: Round):
    """A query for the round's covers, by id (for cursor pagination)."""
    return select(RoundCover).where(RoundCover.round_id == round_.id)


def covers_by_date(round_: Round) -> list[RoundCover]:
    """The round's covers, soonest first, for pages."""
    return list(db.session.scalars(list_covers(round_).order_by(RoundCover.starts_on,
                                                                RoundCover.id)))


def operator_visitors(programme: Programme) -> list[User]:
    """The visitors who may walk the programme's rounds."""
    return list(db.session.scalars(select(User).where(
        User.role == Role.VISITOR, User.organisation_id == programme.operator_id)
        .order_by(User.full_name, User.id)))


def add_cover(actor: User, round_: Round, data: dict) -> RoundCover:
    """Hand the round to another visitor for a date range that overlaps no other cover."""
    visitor = db.session.get(User, data["visitor_id"])
    if (visitor is None or visitor.role != Role.VISITOR
            or visitor.organisation_id != round_.programme.operator_id):
        raise ValidationFailed("The cover visitor must be a visitor of the programme's operator.",
                               fields={"visitor_id": ["Not a visitor of this operator."]})
    clash = db.session.scalar(select(RoundCover).where(
        RoundCover.round_id == round_.id, RoundCover.starts_on <= data["ends_on"],
        RoundCover.ends_on >= data["starts_on"]).limit(1))
    if clash is not None:
        raise ValidationFailed(
            f"This round is already covered from {clash.starts_on} to {clash.ends_on}.",
            fields={"starts_on": ["Overlaps another cover of this round."]})
    cover = RoundCover(round_id=round_.id, visitor_id=visitor.id, starts_on=data["starts_on"],
                       ends_on=data["ends_on"], note=data.get("note", ""))
    db.session.add(cover)
    db.session.flush()
    record(actor, "round_cover.create", subject=cover,
           detail={"round_id": round_.id, "visitor_id": visitor.id})
    return cover


def delete_cover(actor: User, round_: Round, cover_id: int) -> None:
    """Remove one of the round's covers."""
    cover = db.session.get(RoundCover, cover_id)
    if cover is None or cover.round_id != round_.id:
        raise NotFound("No such cover for this round.")
    record(actor, "round_cover.delete", subject=cover, detail={"round_id": round_.id})
    db.session.delete(cover)
    db.session.flush()


def round_stops(round_: Round) -> list[tuple[Client, VisitPlan | None]]:
    """Everyone on the round in walking order, with their plan (None if they have none)."""
    return list(db.session.execute(
        select(Client, VisitPlan).outerjoin(VisitPlan, VisitPlan.client_id == Client.id)
        .where(Client.round_id == round_.id)
        .order_by(Client.walk_order.is_(None), Client.walk_order, Client.id)).tuples())


def reorder(actor: User, round_: Round, client_ids: list[int]) -> list[int]:
    """Set the walking order: `client_ids` must name everyone on the round, once each."""
    current = _ordered_ids(round_.id)
    if len(set(client_ids)) != len(client_ids):
        raise ValidationFailed("Each client may appear only once.",
                               fields={"client_ids": ["Contains the same client twice."]})
    if set(client_ids) != set(current):
        missing = sorted(set(current) - set(client_ids))
        extra = sorted(set(client_ids) - set(current))
        raise ValidationFailed(
            "List every client on the round, and only them.",
            fields={"client_ids": [f"Missing: {missing or 'none'}; not on this round: "
                                   f"{extra or 'none'}."]})
    _renumber(round_.id, client_ids)
    db.session.flush()
    record(actor, "round.reorder", subject=round_, detail={"clients": len(client_ids)})
    return client_ids


def move(actor: User, round_: Round, client_id: int, step: int) -> None:
    """Move one client a place earlier (step -1) or later (+1) on the round."""
    order = _ordered_ids(round_.id)
    if client_id not in order:
        raise NotFound("This client is not on this round.")
    here = order.index(client_id)
    there = here + step
    if 0 <= there < len(order):
        order[here], order[there] = order[there], order[here]
    reorder(actor, round_, order)


# --- The day's due list -----------------------------------------------------------------------


def due_round(actor: User, round_id: int, on: date | None) -> tuple[Round, date, User | None]:
    """The round and day whose due list `actor` may read, and who walks it that day.

    Admins and the operator's coordinators always may; a visitor only on a day they walk it
    (the regular visitor is refused while someone else covers).
    """
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound("No such round.")
    on = on or local_today(round_.programme)
    walker = visitor_on(round_, on)
    if actor.role in (Role.ADMIN, Role.COORDINATOR):
        if not access.can_manage_programme(actor, round_.programme):
            raise NotFound("No such round.")
    elif actor.role == Role.VISITOR and walker is not None and walker.id == actor.id:
        pass
    elif actor.role == Role.VISITOR and round_.visitor_id == actor.id:
        raise Forbidden("Someone else is covering this round on that day.")
    else:
        raise NotFound("No such round.")
    return round_, on, walker


def due_list(actor: User, round_id: int, on: date | None) -> dict:
    """The clients due on the round that day, in walking order, with what to bring and ask."""
    round_, on, walker = due_round(actor, round_id, on)
    stops = due_clients(round_, on)
    record_listing(actor, [s.client for s in stops], purpose="due")
    timezone = round_.programme.timezone
    return {"round": round_, "date": on, "timezone": timezone,
            "visitor_id": getattr(walker, "id", None),
            "items": [_stop(s, timezone) for s in stops]}


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _stop(stop: DueClient, timezone: str) -> dict:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    client, visit = stop.client, stop.visit
    return {
        "client": client.id, "full_name": client.full_name, "address": client.address,
        "parish": client.parish, "phone": client.phone, "access_notes": client.access_notes,
        "walk_order": client.walk_order, "window_start": _clock(stop.plan.window_start),
        "window_end": _clock(stop.plan.window_end), "done": stop.done,
        "visit_id": visit.id if visit else None,
        "outcome": str(visit.outcome) if visit else None,
        "prescriptions": [{"id": p.id, "description": p.description, "status": str(p.status)}
                          for p in stop.prescriptions],
        "appointments": [{"id": a.id, "starts_at": a.starts_at.astimezone(zone).isoformat(),
                          "place": a.place, "with_whom": a.with_whom,
                          "transport_needed": a.transport_needed} for a in stop.appointments],
        "open_needs": [{"id": n.id, "category": str(n.category), "severity": str(n.severity),
                        "description": n.description} for n in stop.open_needs],
    }


def round_size(round_id: int) -> int:
    """How many clients are on the round."""
    return db.session.scalar(select(func.count()).where(Client.round_id == round_id)) or 0
