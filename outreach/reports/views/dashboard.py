"""The coordinator's dashboard: today's rounds, missed visits, no-answers, clients not seen.

Also the visitor's "Your concerns" page: what became of the needs raised from their visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.sql.util import ClauseAdapter

from outreach.audit.services import record_listing, record_listing_ids
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import NeedCategory, NeedStatus, ProgrammeKind, Role
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.visits.models import MissedVisit, Visit
from outreach.visits.round_counts import round_counts
from outreach.visits.safety_net import MISSED_LOOKBACK_DAYS, RoundProgress
from outreach.visits.schedule import local_date

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# Enough for a working day's view; the rest is one click away in the client pages.
LIST_LIMIT = 200
# A national operator has 2,000 rounds: a page of them, the ones with visits still to do first.
ROUNDS_PER_PAGE = 100
SEARCH_MAX = 200


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def ago(delta: timedelta) -> str:
    """A duration in plain words: 2 h 5 min, 3 days."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def local_time(moment: datetime, timezone: str) -> str:
    """A stored UTC time as the programme reads it: 10:05 on 3 March."""
    here = moment.astimezone(ZoneInfo(timezone))
    return f"{here:%H:%M} on {here.day} {here:%B}"


@dataclass
class Alert:
    """An open safety-net need as the dashboard lists it: only what the page shows."""

    client_id: int
    full_name: str
    flagged: bool
    description: str
    since: str
    raised: str


# What the page shows of a client, and what an admin's or coordinator's access rule reads.
_CLIENT_COLUMNS = (Client.id, Client.full_name, Client.programme_id, Client.round_id)


def _visible_first(inner: Select, visible: ColumnElement[bool]) -> Select:
    """Rows of `inner` (which selects _CLIENT_COLUMNS) whose client the user may see.

    The visibility test is applied above an OFFSET 0 fence: pushed down beside the join,
    PostgreSQL tests all 100,000 clients of a national operator and hashes them (about 60 ms)
    instead of looking up the few hundred clients the rows name."""
    fenced = inner.offset(0).subquery()
    return select(fenced).where(ClauseAdapter(fenced).traverse(visible))


def _alerts(category: NeedCategory, visible: ColumnElement[bool], now: datetime) -> list[Alert]:
    # Plain rows, the programme's time zone joined in: 200 Need and Client objects and their
    # programmes' lazy loads cost more than the rest of the page.
    inner = (select(*_CLIENT_COLUMNS, Need.flagged_at.label("need_flagged_at"),
                    Need.created_at.label("need_created_at"),
                    Need.description.label("need_description"),
                    Programme.timezone.label("programme_timezone"))
             .join(Need, Need.client_id == Client.id)
             .join(Programme, Programme.id == Client.programme_id)
             .where(Need.category == category, Need.status == NeedStatus.OPEN))
    fenced = _visible_first(inner, visible).subquery()
    rows = db.session.execute(
        select(fenced.c.id, fenced.c.full_name, fenced.c.need_flagged_at,
               fenced.c.need_created_at, fenced.c.need_description, fenced.c.programme_timezone)
        # Flagged first: those are the ones past their window, waiting for the coordinator.
        .order_by(fenced.c.need_flagged_at.is_(None), fenced.c.need_created_at)
        .limit(LIST_LIMIT)).all()
    return [Alert(client_id, full_name, flagged_at is not None, description,
                  ago(now - created_at), local_time(created_at, timezone))
            for client_id, full_name, flagged_at, created_at, description, timezone in rows]


@dataclass
class Missed:
    """A missed visit as the dashboard lists it."""

    client_id: int
    full_name: str
    due_on: date
    round_name: str | None


def _missed(programmes: list[Programme], visible: ColumnElement[bool],
            now: datetime) -> list[Missed]:
    if not programmes:
        return []
    since = min(local_date(now, p.timezone) for p in programmes) - timedelta(
        days=MISSED_LOOKBACK_DAYS)
    inner = (select(*_CLIENT_COLUMNS, MissedVisit.due_on.label("missed_due_on"),
                    Round.name.label("round_name"))
             .join(MissedVisit, MissedVisit.client_id == Client.id)
             .outerjoin(Round, Round.id == MissedVisit.round_id)
             .where(MissedVisit.due_on >= since))
    fenced = _visible_first(inner, visible).subquery()
    rows = db.session.execute(
        select(fenced.c.id, fenced.c.full_name, fenced.c.missed_due_on, fenced.c.round_name)
        .order_by(fenced.c.missed_due_on.desc(), fenced.c.full_name).limit(LIST_LIMIT)).all()
    return [Missed(*row) for row in rows]


@dataclass
class RoundsToday:
    """Today's rounds in brief, and the page of them the coordinator asked for."""

    rounds: int
    due: int
    done: int
    search: str
    matching: int
    page: int
    pages: int
    first: int  # 1-based number of the first round shown
    shown: list[RoundProgress]
    walkers: dict[int, str]
    programme_names: dict[int, str]
    counted: str  # when the progress was counted, in the programmes' time

    @property
    def outstanding(self) -> int:
        return self.due - self.done


def _rounds_today(programmes: list[Programme], now: datetime) -> RoundsToday:
    """Every round's progress is counted for the summary; one page of them is shown."""
    counted_at, progress = round_counts(current_app).progress(
        (p.id for p in programmes), now)
    search = request.args.get("round", "").strip()[:SEARCH_MAX]
    wanted = search.casefold()
    # Without a search every round matches: thousands of names need not be case-folded. The
    # count is already in the order shown, and a filter keeps it.
    matching = [p for p in progress
                if wanted in p.round.name.casefold() or wanted in p.round.area.casefold()] \
        if wanted else progress
    pages = max(1, -(-len(matching) // ROUNDS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    start = (page - 1) * ROUNDS_PER_PAGE
    shown = matching[start:start + ROUNDS_PER_PAGE]
    walker_ids = {p.visitor_id for p in shown if p.visitor_id is not None}
    walkers = {uid: name for uid, name in db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(walker_ids)))} if walker_ids else {}
    timezone = programmes[0].timezone if programmes else "UTC"
    return RoundsToday(len(progress), sum(p.due for p in progress),
                       sum(p.done for p in progress), search, len(matching), page, pages,
                       start + 1, shown, walkers, {p.id: p.name for p in programmes},
                       counted_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S"))


@bp.get("/")
def index():
    """Today's rounds with their progress, missed visits, no-answers and clients not seen."""
    if current_user.role not in (Role.ADMIN, Role.COORDINATOR):
        abort(403)
    now = utcnow()
    programmes = db.session.scalars(select(Programme).where(
        access.programme_filter(current_user), Programme.kind == ProgrammeKind.CALL_AND_CHECK,
    ).order_by(Programme.name)).all()
    rounds = _rounds_today(programmes, now)
    visible = access.client_filter(current_user)
    missed = _missed(programmes, visible, now)
    no_answers = _alerts(NeedCategory.NO_ANSWER, visible, now)
    not_seen = _alerts(NeedCategory.NOT_SEEN, visible, now)
    shown = dict.fromkeys(row.client_id for row in [*missed, *no_answers, *not_seen])
    record_listing_ids(current_user, shown, purpose="dashboard")
    overdue_escalations = _overdue_escalations(now)
    late_jobs = _late_jobs(now) if current_user.role == Role.ADMIN else []
    # Rendered before the request commits, which would expire every object the page reads.
    return render_template("dashboard/index.html", rounds=rounds, missed=missed,
                           no_answers=no_answers, not_seen=not_seen, programmes=programmes,
                           limit=LIST_LIMIT, overdue_escalations=overdue_escalations,
                           late_jobs=late_jobs)


def _late_jobs(now: datetime) -> list[tuple[str, str]]:
    """The periodic jobs without a recent success, each with how long since its last one (an
    admin's concern: the safety net itself has stopped)."""
    from outreach.jobs.runs import job_health
    from outreach.jobs.tick import load_jobs

    return [(job.name, f"last succeeded {ago(now - job.last_succeeded_at)} ago"
             if job.last_succeeded_at else "has not succeeded yet")
            for job in job_health(list(load_jobs()), now) if job.late]


def _overdue_escalations(now: datetime) -> int:
    """How many of the coordinator's escalations are past their time (shown in red)."""
    from outreach.escalations.models import Escalation
    from outreach.escalations.queries import visible

    return db.session.scalar(visible(current_user, overdue=True, now=now)
                             .with_only_columns(func.count(Escalation.id))) or 0


@dataclass
class Concern:
    """A need raised from one of the visitor's visits, and what became of it."""

    need: Need
    client: Client
    visited_on: object
    status: str
    detail: str


def _concern(need: Need, client: Client, visit: Visit) -> Concern:
    timezone = client.programme.timezone
    if need.status == NeedStatus.RESOLVED:
        when = local_time(need.resolved_at, timezone) if need.resolved_at else ""
        return Concern(need, client, visit.visited_on, "Resolved",
                       f"{need.resolution or 'Closed'}{f' ({when})' if when else ''}")
    if need.flagged_at is not None:
        return Concern(need, client, visit.visited_on, "Acted on",
                       f"Passed to the coordinator at {local_time(need.flagged_at, timezone)}")
    return Concern(need, client, visit.visited_on, "Open", "Waiting for someone to act on it")


@bp.get("/my-concerns")
def my_concerns():
    """The needs raised from the signed-in person's visits, and whether they were acted on."""
    if current_user.role not in (Role.ADMIN, Role.COORDINATOR, Role.VISITOR):
        abort(403)
    rows = db.session.execute(
        select(Need, Client, Visit).join(Visit, Visit.id == Need.visit_id)
        .join(Client, Client.id == Need.client_id)
        .where(Visit.visitor_id == current_user.id)
        .order_by(Need.created_at.desc(), Need.id.desc()).limit(LIST_LIMIT)).all()
    concerns = [_concern(need, client, visit) for need, client, visit in rows]
    record_listing(current_user, {c.client.id: c.client for c in concerns}.values(),
                   purpose="my_concerns")
    return render_template("dashboard/my_concerns.html", concerns=concerns, limit=LIST_LIMIT)
