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
from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import aliased

from outreach.audit.services import record_listing_ids
from outreach.db import db, utcnow
from outreach.enums import EscalationStatus, NeedSeverity, Role
from outreach.errors import APIError, Forbidden, NotFound
from outreach.escalations import queries
from outreach.escalations.access import get_escalation
from outreach.escalations.atom import bearer_user
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme
from outreach.redaction import redact_contact_details
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


def _organisation(organisation_id: int, name: str, base: str) -> dict:
    return {"type": "Organization", "display": name,
            "identifier": {"system": base + "/organisations", "value": str(organisation_id)}}


def patient(row: Row) -> dict:
    """The client as a contained Patient: name, birth date, address and phone, nothing else."""
    resource = {"resourceType": "Patient", "id": "patient",
                "name": [{"text": row.full_name}]}
    if row.date_of_birth is not None:
        resource["birthDate"] = row.date_of_birth.isoformat()
    if row.phone:
        resource["telecom"] = [{"system": "phone", "value": row.phone}]
    if row.address:
        resource["address"] = [{"text": row.address}]
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
            notes[row.escalation_id].append({"time": _instant(row.at),
                                             "text": redact_contact_details(row.note)})
    return notes


_Operator = aliased(Organisation, name="operator")
_Recipient = aliased(Organisation, name="recipient")

# Everything task() reads of an escalation and of its client, need, operator and recipient, as
# one row: a page as ORM objects (through selectinload) took six statements and most of the
# request's CPU; as plain rows of a join it is one statement and a fraction of the time.
TASK_COLUMNS = (
    Escalation.id, Escalation.client_id, Escalation.status, Escalation.severity,
    Escalation.category, Escalation.created_at, Escalation.updated_at, Escalation.due_at,
    Escalation.acknowledged_at, Escalation.resolved_at, Escalation.outcome,
    Escalation.outcome_note, Escalation.organisation_id, Escalation.contact_id,
    Client.full_name, Client.date_of_birth, Client.phone, Client.address, Need.description,
    _Operator.id.label("operator_id"), _Operator.name.label("operator_name"),
    _Recipient.name.label("organisation_name"), Contact.name.label("contact_name"),
)


def task_rows(*criteria: ColumnElement[bool]) -> Select:
    """The TASK_COLUMNS of the escalations matching `criteria`."""
    return (select(*TASK_COLUMNS).select_from(Escalation)
            .join(Client, Client.id == Escalation.client_id)
            .join(Need, Need.id == Escalation.need_id)
            .join(Programme, Programme.id == Escalation.programme_id)
            .join(_Operator, _Operator.id == Programme.operator_id)
            .outerjoin(_Recipient, _Recipient.id == Escalation.organisation_id)
            .outerjoin(Contact, Contact.id == Escalation.contact_id)
            .where(*criteria))


def task(row: Row, notes: list[dict], base: str) -> dict:
    """The escalation (a row of TASK_COLUMNS) as a FHIR R4 Task (see the module's docstring for
    the mapping), with the notes of its timeline (from `notes_of`)."""
    updated = _instant(row.updated_at)
    resource = {
        "resourceType": "Task",
        "id": str(row.id),
        "meta": {"lastUpdated": updated},
        "contained": [patient(row)],
        "identifier": [{"system": base + "/escalations", "value": str(row.id)}],
        "status": TASK_STATUS[row.status],
        "businessStatus": {"text": row.status.value},
        "intent": "order",
        "priority": "urgent" if row.severity == NeedSeverity.URGENT else "routine",
        "code": {"coding": [{"system": base + "/need-categories",
                             "code": row.category.value}],
                 "text": _words(row.category.value)},
        "for": {"reference": "#patient", "display": row.full_name},
        "authoredOn": _instant(row.created_at),
        "lastModified": updated,
        "requester": _organisation(row.operator_id, row.operator_name, base),
        "restriction": {"period": {"end": _instant(row.due_at)}},
        "input": [{"type": {"text": "severity"}, "valueCode": row.severity.value}],
    }
    if row.description.strip():
        resource["description"] = redact_contact_details(row.description)
    if row.organisation_id is not None:
        resource["owner"] = _organisation(row.organisation_id, row.organisation_name, base)
    elif row.contact_id is not None:
        resource["owner"] = {"type": "RelatedPerson", "display": row.contact_name}
    if row.acknowledged_at is not None:
        period = {"start": _instant(row.acknowledged_at)}
        if row.resolved_at is not None:
            period["end"] = _instant(row.resolved_at)
        resource["executionPeriod"] = period
    if notes:
        resource["note"] = notes
    if row.outcome is not None:
        resource["output"] = _outputs(row, base)
    return resource


def _outputs(row: Row, base: str) -> list[dict]:
    outputs = [{"type": {"text": "outcome"}, "valueCodeableConcept": {
        "coding": [{"system": base + "/escalation-outcomes", "code": row.outcome.value}],
        "text": _words(row.outcome.value)}}]
    if row.outcome_note.strip():
        outputs.append({"type": {"text": "outcome note"},
                        "valueString": redact_contact_details(row.outcome_note)})
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


def _link(base: str, relation: str, params: dict) -> dict:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return {"relation": relation, "url": f"{base}/fhir/r4/Task" + (f"?{query}" if query
                                                                     else "")}


def _count_of(visible: ColumnElement[bool]) -> Select:
    return select(func.count()).select_from(Escalation).where(visible)


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
    visible = query.whereclause
    # The total rides on the page's statement (counted once, from an index on PostgreSQL;
    # uncorrelated, so it counts every visible escalation, not the row's); an empty page has
    # no row to carry it, so it is counted on its own.
    total_column = _count_of(visible).correlate(None).scalar_subquery().label("total")
    rows = db.session.execute(task_rows(visible, Escalation.id > after)
                              .add_columns(total_column)
                              .order_by(Escalation.id).limit(count + 1)).all()
    total = rows[0].total if rows else db.session.scalar(_count_of(visible))
    more = len(rows) > count
    rows = rows[:count]
    base = _base()
    params = {"status": request.args.get("status"), "owner": request.args.get("owner"),
              "_count": count}
    links = [_link(base, "self", {**params, "_cursor": request.args.get("_cursor") or None})]
    if more:
        next_cursor = base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=")
        links.append(_link(base, "next", {**params, "_cursor": next_cursor}))
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total,
              "meta": {"lastUpdated": _instant(utcnow())}, "link": links}
    if rows:
        notes = notes_of([row.id for row in rows])
        bundle["entry"] = [{"fullUrl": f"{base}/fhir/r4/Task/{row.id}",
                            "resource": task(row, notes[row.id], base),
                            "search": {"mode": "match"}} for row in rows]
    record_listing_ids(user, dict.fromkeys(row.client_id for row in rows), purpose="fhir")
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
    row = db.session.execute(task_rows(Escalation.id == escalation.id)).one()
    resource = task(row, notes_of([row.id])[row.id], _base())
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
