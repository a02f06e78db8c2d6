"""The coordinator's escalation pages: the overview of every live escalation of their
programmes (overdue first) and the "Concerns and escalations" section of a client's page.
The routing-rules editor is in `routing`; single escalations have their own page
(`queue`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, true
from sqlalchemy.orm import joinedload

from outreach.audit.services import record_listing
from outreach.auth import access
from outreach.db import db, utcnow
from outreach.enums import (
    ESCALATION_LIVE,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    Role,
)
from outreach.escalations import queries, webhooks, words
from outreach.escalations.models import Escalation, RoutingRecipient, RoutingRule
from outreach.escalations.webhooks import WebhookHealth
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme
from outreach.reports.views.dashboard import ago
from outreach.schemas import MAX_ID

bp = Blueprint("overview", __name__)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
PAGE = 50
WEEK = timedelta(days=7)

@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def managers_only() -> None:
    """Refuse anyone but coordinators and admins."""
    if current_user.role not in MANAGERS:
        abort(403)


@bp.app_template_global()
def escalation_page_url(escalation_id: int) -> str:
    """The address of one escalation's own page (served by `queue`)."""
    return url_for("escalations.queue.show", escalation_id=escalation_id)


# --- Rows as the pages show them ---------------------------------------------------------


@dataclass
class Row:
    """One escalation with what is late about it, in words."""

    escalation: Escalation
    recipient: str
    late: str | None


def span(delta: timedelta) -> str:
    """How long, as a coordinator says it: 45 min, 2 h, 2 h 5 min, 3 days (the dashboard's
    words, without a trailing "0 min")."""
    return ago(delta).removesuffix(" 0 min")


def lateness(escalation: Escalation, now: datetime) -> str | None:
    """Why it is overdue, and by how long ("Not acknowledged in time: overdue by 2 h")."""
    if escalation.waiting_for_acknowledgement and escalation.due_at <= now:
        words = f"Not acknowledged in time: overdue by {span(now - escalation.due_at)}"
        if escalation.escalated_at is not None:
            words += "; passed on to the fallback"
        return words
    if escalation.live and escalation.resolve_due_at <= now:
        return f"Not resolved in time: overdue by {span(now - escalation.resolve_due_at)}"
    return None


def rows_of(escalations, now: datetime) -> list[Row]:
    """The escalations as rows, in the order given."""
    return [Row(e, words.recipient_name(e), lateness(e, now)) for e in escalations]


# --- The overview ------------------------------------------------------------------------


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID \
        else None


def _arg(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


def _filters(programmes: list[Programme], organisations: list[Organisation]) -> dict:
    """The filters asked for; anything not offered on the form is ignored, never an error."""
    programme_id = _id_arg("programme_id")
    organisation_id = _id_arg("organisation_id")
    return {
        "programme_id": programme_id if programme_id in {p.id for p in programmes} else None,
        "status": _arg("status", {s.value for s in EscalationStatus}),
        "category": _arg("category", {c.value for c in NeedCategory}),
        "severity": _arg("severity", {s.value for s in NeedSeverity}),
        "organisation_id": organisation_id if organisation_id in {o.id for o in organisations}
        else None,
        "overdue": request.args.get("overdue") == "1",
    }


def _counts(programme_id: int | None, now: datetime) -> dict:
    """Still open, overdue, and resolved in the last week, in one statement of two parts.

    Counted apart, the live escalations and those resolved since a week ago are each read from
    a partial index of their own (ix_escalations_live_programme_id, ix_escalations_resolved_at)
    without the table; counted together (an OR in one WHERE), PostgreSQL read every one of
    them from the table. count(*), not count(id): the index holds no id, and id is never NULL.
    """
    visible = queries.visible(current_user, programme_id=programme_id)
    live = visible.where(Escalation.status.in_(ESCALATION_LIVE)).with_only_columns(
        func.count().label("open"),
        func.count().filter(queries.overdue_clause(now)).label("overdue"),
        maintain_column_froms=True).subquery()
    resolved = visible.where(Escalation.status == EscalationStatus.RESOLVED.value,
                             Escalation.resolved_at >= now - WEEK).with_only_columns(
        func.count().label("resolved_week"), maintain_column_froms=True).subquery()
    row = db.session.execute(select(live.c.open, live.c.overdue, resolved.c.resolved_week)
                             .join_from(live, resolved, true())).one()
    return {"open": row.open, "overdue": row.overdue, "resolved_week": row.resolved_week}


def failing_webhooks(programme_ids: list[int], now: datetime) -> list[WebhookHealth]:
    """Organisations hearing about these programmes' escalations whose webhooks keep failing."""
    if not programme_ids:
        return []
    # Only an organisation with a webhook can be failing: there are a few dozen organisations,
    # so each is asked whether it hears about these programmes (an indexed look-up), instead
    # of collecting every recipient from 100,000 escalations and clients.
    told = select(Escalation.id).where(
        Escalation.organisation_id == Organisation.id, Escalation.programme_id.in_(programme_ids))
    named = select(RoutingRecipient.id).join(
        RoutingRule, RoutingRule.id == RoutingRecipient.rule_id).where(
        RoutingRule.programme_id.in_(programme_ids),
        RoutingRecipient.organisation_id == Organisation.id)
    practices = select(Client.id).where(Client.programme_id.in_(programme_ids),
                                        Client.gp_practice_id == Organisation.id)
    recipients = db.session.scalars(select(Organisation.id).where(
        Organisation.webhook_url.is_not(None),
        told.exists() | named.exists() | practices.exists())).all()
    return webhooks.failing_webhooks(recipients, now) if recipients else []


def _page_of(ids_in_order) -> list[Escalation]:
    """The escalations a statement of ids selects, in its order, with what each row shows.

    The ids come first, from the live escalations' index alone on PostgreSQL (it holds every
    column the order needs), then only the page's rows are read. Their programme and
    organisation are already loaded for the filters, so they come from the session; of the
    client and contact only the names are read.
    """
    ids = db.session.scalars(ids_in_order).all()
    if not ids:
        return []
    loaded = {e.id: e for e in db.session.scalars(select(Escalation).where(
        Escalation.id.in_(ids)).options(
        joinedload(Escalation.client).load_only(Client.full_name),
        joinedload(Escalation.contact).load_only(Contact.name, Contact.relationship_to_client)))
        .unique()}
    return [loaded[i] for i in ids]


@bp.get("/escalations/")
def index():
    """Every live escalation of the coordinator's programmes, by programme, overdue first."""
    managers_only()
    now = utcnow()
    programmes = db.session.scalars(select(Programme).where(
        access.programme_filter(current_user)).order_by(Programme.name, Programme.id)).all()
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    filters = _filters(programmes, organisations)
    query = queries.visible(current_user, now=now, programme_id=filters["programme_id"],
                            status=filters["status"], category=filters["category"],
                            severity=filters["severity"],
                            organisation_id=filters["organisation_id"],
                            overdue=True if filters["overdue"] else None)
    query = query.join(Programme, Programme.id == Escalation.programme_id)
    if filters["status"] is None:
        query = query.where(Escalation.status.in_(ESCALATION_LIVE))
    if filters["status"] in (None, *ESCALATION_LIVE):
        order = queries.queue_order(now)
    else:  # finished ones: the latest first
        order = (Escalation.updated_at.desc(), Escalation.id.desc())
    page = max(min(_id_arg("page") or 1, 10_000), 1)
    found = _page_of(query.with_only_columns(Escalation.id, maintain_column_froms=True)
                     .order_by(Programme.name, Programme.id, *order)
                     .offset((page - 1) * PAGE).limit(PAGE + 1))
    more = len(found) > PAGE
    rows = rows_of(found[:PAGE], now)
    groups: list[tuple[Programme, list[Row]]] = []
    for row in rows:
        if not groups or groups[-1][0].id != row.escalation.programme_id:
            groups.append((row.escalation.programme, []))
        groups[-1][1].append(row)
    record_listing(current_user, {r.escalation.client_id: r.escalation.client
                                  for r in rows}.values(), purpose="escalations")
    counts = _counts(filters["programme_id"], now)
    failing = failing_webhooks([p.id for p in programmes], now)
    shown = {k: v for k, v in filters.items() if v not in (None, False)}
    if filters["overdue"]:
        shown["overdue"] = 1
    # Rendered before the request commits, which would expire every object the page reads (and
    # reload each escalation and its client again, a query apiece).
    return render_template(
        "escalations/index.html", groups=groups, counts=counts, failing=failing,
        programmes=programmes, organisations=organisations, filters=filters,
        managed=[p for p in programmes if access.can_manage_programme(current_user, p)],
        statuses=[(s.value, words.STATUS[s]) for s in EscalationStatus],
        previous_url=url_for("escalations.overview.index", page=page - 1, **shown) if page > 1
        else None,
        next_url=url_for("escalations.overview.index", page=page + 1, **shown) if more else None)


# --- A client's history (a section of the client's page) --------------------------------


@bp.app_template_global()
def escalations_for_client(client: Client) -> dict | None:
    """What the client page's "Concerns and escalations" section shows; None for those who
    do not have it. The client page has already recorded the read of this client."""
    if not (current_user.is_authenticated and current_user.role in MANAGERS):
        return None
    now = utcnow()
    # As queries.for_client, with each one's organisation, which every row names (a query
    # apiece otherwise, for the operator's own organisation offered to no form).
    history = db.session.scalars(select(Escalation).where(Escalation.client_id == client.id)
                                 .options(joinedload(Escalation.organisation))
                                 .order_by(Escalation.created_at.desc(), Escalation.id.desc()))
    mine = [e for e in history
            if current_user.role == Role.ADMIN
            or e.programme.operator_id == current_user.organisation_id]
    return {"rows": rows_of(mine, now), "timezone": client.programme.timezone}
