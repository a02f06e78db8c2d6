"""FHIR R4 under /fhir/r4: escalations as `Task` resources, for providers' own systems.

`GET /fhir/r4/Task` is a `searchset` Bundle of the escalations the caller may see (a provider:
its organisation's; a coordinator: its programmes'; an administrator: all), `GET
/fhir/r4/Task/<id>` one Task, `GET /fhir/r4/metadata` the CapabilityStatement (public, as FHIR
clients expect). Only an API token opens Tasks (`Authorization: Bearer`); the login session and
feed tokens do not. Refusals are `OperationOutcome`s.

How an escalation becomes a Task (the minimum a recipient needs, as in `EscalationOut`):

- `id` and `identifier` (system PUBLIC_BASE_URL + "/escalations"): the escalation's id.
- `status`: open and reopened → `requested`, acknowledged → `accepted`, resolved →
  `completed`, reassigned → `cancelled` (another Task took over); `businessStatus.text` is our
  own status word, so "reopened" is not lost.
- `intent` is `order`; `priority`: urgent → `urgent`, soon and routine → `routine`, since FHIR's
  scale (routine < urgent < asap < stat) has no step between; the severity itself is an `input`.
- `code`: the need's category (system PUBLIC_BASE_URL + "/need-categories"); `description`: the
  need as reported.
- `for`: a *contained* Patient (`#patient`) with name, birth date, address text and phone only.
- `requester`: the programme's operator; `owner`: the recipient organisation (by identifier,
  system PUBLIC_BASE_URL + "/organisations", since Organizations are not served here), or the
  designated contact by name.
- `authoredOn`, `lastModified`, `meta.lastUpdated`; `restriction.period.end`: when it must be
  acknowledged by (`due_at`); `executionPeriod`: acknowledged → resolved.
- `note`: every note written on its timeline, oldest first; `output`: the outcome (and its note)
  once resolved.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections import defaultdict
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from outreach.audit.services import record_listing
from outreach.db import db, utcnow
from outreach.enums import EscalationStatus, NeedSeverity, Role
from outreach.errors import APIError, Forbidden, NotFound
from outreach.escalations import queries
from outreach.escalations.access import get_escalation
from outreach.escalations.atom import bearer_user
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.programmes.models import Programme
from outreach.schemas import MAX_ID

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")

MIMETYPE = "application/fhir+json"
READERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)
DEFAULT_COUNT, MAX_COUNT = 50, 200
CAPABILITY_DATE = "2026-11-24"  # when what is served here last changed

TASK_STATUS = {
    EscalationStatus.OPEN: "requested",
    EscalationStatus.REOPENED: "requested",
    EscalationStatus.ACKNOWLEDGED: "accepted",
    EscalationStatus.RESOLVED: "completed",
    EscalationStatus.REASSIGNED: "cancelled",
}
# Every code of FHIR's task-status value set: the ones we never use are valid and match nothing.
FHIR_TASK_STATUSES = ("draft", "requested", "received", "accepted", "rejected", "ready",
                      "cancelled", "in-progress", "on-hold", "failed", "completed",
                      "entered-in-error")
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
               409: "conflict", 422: "invalid"}


# --- Answers ------------------------------------------------------------------------------


def answer(resource: dict, status: int = 200) -> Response:
    """A FHIR JSON response."""
    return Response(json.dumps(resource), status=status, mimetype=MIMETYPE)


def operation_outcome(status: int, message: str) -> Response:
    """A refusal as FHIR says to give one: an OperationOutcome with one error issue."""
    response = answer({"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": ISSUE_CODES.get(status, "processing"),
        "diagnostics": message}]}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outreach"'
    return response


def fhir_view(view):
    """Turn every refusal the view (or a service under it) raises into an OperationOutcome."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        g.via = "fhir"
        try:
            return view(**kwargs)
        except APIError as error:
            return operation_outcome(error.status, error.message)

    return wrapper


def _caller():
    user = bearer_user()
    if user.role not in READERS:
        raise Forbidden("Your role cannot read escalations.")
    return user


# --- The mapping --------------------------------------------------------------------------


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _instant(moment) -> str:
    return moment.isoformat(timespec="milliseconds")


def _words(value: str) -> str:
    return value.replace("_", " ")


def _organisation(organisation, base: str) -> dict:
    return {"type": "Organization", "display": organisation.name,
            "identifier": {"system": base + "/organisations", "value": str(organisation.id)}}


def patient(client) -> dict:
    """The client as a contained Patient: name, birth date, address and phone, nothing else."""
    resource = {"resourceType": "Patient", "id": "patient",
                "name": [{"text": client.full_name}]}
    if client.date_of_birth is not None:
        resource["birthDate"] = client.date_of_birth.isoformat()
    if client.phone:
        resource["telecom"] = [{"system": "phone", "value": client.phone}]
    if client.address:
        resource["address"] = [{"text": client.address}]
    return resource


def notes_of(escalation_ids: list[int]) -> dict[int, list[dict]]:
    """The notes on these escalations' timelines as FHIR Annotations, oldest first.

    Read as plain rows: a page's events as ORM objects cost more than the rest of its Tasks.
    """
    notes: dict[int, list[dict]] = defaultdict(list)
    rows = db.session.execute(
        select(EscalationEvent.escalation_id, EscalationEvent.at, EscalationEvent.note)
        .where(EscalationEvent.escalation_id.in_(escalation_ids), EscalationEvent.note != "")
        .order_by(EscalationEvent.id))
    for row in rows:
        if row.note.strip():
            notes[row.escalation_id].append({"time": _instant(row.at), "text": row.note})
    return notes


def task(escalation: Escalation, notes: list[dict]) -> dict:
    """The escalation as a FHIR R4 Task (see the module's docstring for the mapping), with the
    notes of its timeline (from `notes_of`)."""
    base = _base()
    need = escalation.need
    resource = {
        "resourceType": "Task",
        "id": str(escalation.id),
        "meta": {"lastUpdated": _instant(escalation.updated_at)},
        "contained": [patient(escalation.client)],
        "identifier": [{"system": base + "/escalations", "value": str(escalation.id)}],
        "status": TASK_STATUS[escalation.status],
        "businessStatus": {"text": escalation.status.value},
        "intent": "order",
        "priority": "urgent" if escalation.severity == NeedSeverity.URGENT else "routine",
        "code": {"coding": [{"system": base + "/need-categories",
                             "code": escalation.category.value}],
                 "text": _words(escalation.category.value)},
        "for": {"reference": "#patient", "display": escalation.client.full_name},
        "authoredOn": _instant(escalation.created_at),
        "lastModified": _instant(escalation.updated_at),
        "requester": _organisation(escalation.programme.operator, base),
        "restriction": {"period": {"end": _instant(escalation.due_at)}},
        "input": [{"type": {"text": "severity"}, "valueCode": escalation.severity.value}],
    }
    if need.description.strip():
        resource["description"] = need.description
    if escalation.organisation is not None:
        resource["owner"] = _organisation(escalation.organisation, base)
    elif escalation.contact is not None:
        resource["owner"] = {"type": "RelatedPerson", "display": escalation.contact.name}
    if escalation.acknowledged_at is not None:
        period = {"start": _instant(escalation.acknowledged_at)}
        if escalation.resolved_at is not None:
            period["end"] = _instant(escalation.resolved_at)
        resource["executionPeriod"] = period
    if notes:
        resource["note"] = notes
    if escalation.outcome is not None:
        resource["output"] = _outputs(escalation, base)
    return resource


def _outputs(escalation: Escalation, base: str) -> list[dict]:
    outputs = [{"type": {"text": "outcome"}, "valueCodeableConcept": {
        "coding": [{"system": base + "/escalation-outcomes",
                    "code": escalation.outcome.value}],
        "text": _words(escalation.outcome.value)}}]
    if escalation.outcome_note.strip():
        outputs.append({"type": {"text": "outcome note"},
                        "valueString": escalation.outcome_note})
    return outputs


# --- Search -------------------------------------------------------------------------------


def _statuses(raw: str | None) -> list[EscalationStatus] | None:
    """Our statuses for a FHIR `status` search (comma: any of them); None: no filter."""
    if raw is None:
        return None
    wanted = [code.strip() for code in raw.split(",")]
    unknown = [code for code in wanted if code not in FHIR_TASK_STATUSES]
    if unknown:
        raise APIError(f"Unknown task status: {', '.join(unknown)[:200]}. Use FHIR's "
                       f"task-status codes: {', '.join(FHIR_TASK_STATUSES)}.")
    return [ours for ours, theirs in TASK_STATUS.items() if theirs in wanted]


def _count() -> int:
    raw = request.args.get("_count")
    if raw is None:
        return DEFAULT_COUNT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_COUNT:
        raise APIError(f"_count must be a whole number from 1 to {MAX_COUNT}.")
    return int(raw)


def _owner(raw: str | None) -> int | None:
    if raw is None:
        return None
    number = raw.removeprefix("Organization/")
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= MAX_ID:
        raise APIError("owner must be Organization/<id>.")
    return int(number)


def _cursor(raw: str | None) -> int:
    """The last id of the page before, from our opaque `_cursor`; 0 for the first page."""
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw.encode() + b"==").decode()
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise APIError("_cursor is not one this server gave out.") from exc
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise APIError("_cursor is not one this server gave out.")
    return int(text)


# Everything task() reads of an escalation, loaded for a whole page in a statement a relation
# (a page of 50 lazily loaded them row by row: some 160 statements and 160 ms); notes_of reads
# the notes.
WITH_TASK = (selectinload(Escalation.client), selectinload(Escalation.need),
             selectinload(Escalation.programme).selectinload(Programme.operator),
             selectinload(Escalation.organisation), selectinload(Escalation.contact))


def _link(relation: str, params: dict) -> dict:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return {"relation": relation, "url": f"{_base()}/fhir/r4/Task" + (f"?{query}" if query
                                                                       else "")}


@bp.get("/Task")
@fhir_view
def search_tasks():
    """A searchset Bundle of the caller's escalations as Tasks: status, owner, _count, paging."""
    user = _caller()
    statuses = _statuses(request.args.get("status"))
    count = _count()
    owner = _owner(request.args.get("owner"))
    after = _cursor(request.args.get("_cursor"))
    query = queries.visible(user, organisation_id=owner)
    if statuses is not None:
        query = query.where(Escalation.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.where(Escalation.id > after).order_by(Escalation.id)
                                   .limit(count + 1).options(*WITH_TASK)))
    more = len(rows) > count
    rows = rows[:count]
    params = {"status": request.args.get("status"), "owner": request.args.get("owner"),
              "_count": count}
    links = [_link("self", {**params, "_cursor": request.args.get("_cursor") or None})]
    if more:
        next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=")
        links.append(_link("next", {**params, "_cursor": next_cursor}))
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total,
              "meta": {"lastUpdated": _instant(utcnow())}, "link": links}
    if rows:
        notes = notes_of([row.id for row in rows])
        bundle["entry"] = [{"fullUrl": f"{_base()}/fhir/r4/Task/{row.id}",
                            "resource": task(row, notes[row.id]),
                            "search": {"mode": "match"}} for row in rows]
    record_listing(user, {row.client_id: row.client for row in rows}.values(), purpose="fhir")
    db.session.commit()
    return answer(bundle)


@bp.get("/Task/<task_id>")
@fhir_view
def read_task(task_id: str):
    """One Task: an escalation the caller may see; another organisation's is refused, audited."""
    user = _caller()
    if not (task_id.isascii() and task_id.isdigit()) or not 1 <= int(task_id) <= MAX_ID:
        raise NotFound(f"No Task {task_id[:64]!r}.")
    escalation = get_escalation(user, int(task_id))
    resource = task(escalation, notes_of([escalation.id])[escalation.id])
    db.session.commit()
    return answer(resource)


@bp.get("/metadata")
@fhir_view
def capability_statement():
    """What this FHIR endpoint serves: Task read and search, JSON only, bearer tokens."""
    base = _base()
    return answer({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Outreach & Check-in Toolkit",
        "kind": "instance",
        "software": {"name": "Outreach & Check-in Toolkit"},
        "implementation": {"description": "Escalations of concerns raised in welfare visits",
                           "url": f"{base}/fhir/r4"},
        "fhirVersion": "4.0.1",
        "format": [MIMETYPE, "json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Send an API token: Authorization: Bearer <token>. "
                                        "Each caller sees only its own escalations."},
            "resource": [{
                "type": "Task",
                "documentation": f"Escalations. Page with _count (1 to {MAX_COUNT}, default "
                                 f"{DEFAULT_COUNT}) and the next link.",
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": "status", "type": "token",
                     "documentation": "FHIR task status; several with commas."},
                    {"name": "owner", "type": "reference",
                     "documentation": "Organization/<id>: the recipient organisation."},
                ],
            }],
        }],
    })
