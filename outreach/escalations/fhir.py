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
- `for`: a *contained* Patient (`#patient`) with name, birth date, address text and phone only;
  the reference's `identifier` is the client's id (system PUBLIC_BASE_URL + "/clients"), what
  the `patient` search parameter takes.
- `requester`: the programme's operator; `owner`: the recipient organisation (by identifier,
  system PUBLIC_BASE_URL + "/organisations", since Organizations are not served here), or the
  designated contact by name.
- `authoredOn`, `lastModified`, `meta.lastUpdated` (to the microsecond; moved by every
  event); `restriction.period.end`: when it must be acknowledged by (`due_at`);
  `executionPeriod`: acknowledged → resolved.
- `note`: every note written on its timeline, oldest first; `output`: the outcome (and its note)
  once resolved.

Once the caller may no longer see the client (escalations.disclosure) the Task keeps only its
ids, code, priority, owner and times: no Patient, description, notes or outcome note. If it was
withdrawn (consent withdrawn), its status is `cancelled` with the reason in `statusReason`; a Task
whose client was erased answers 410 Gone.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, request
from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import aliased

from outreach.api.pagination import split
from outreach.audit.services import record_listing_ids
from outreach.db import db, utcnow
from outreach.enums import NeedSeverity, Role
from outreach.errors import APIError, Forbidden, NotFound
from outreach.escalations import disclosure, fhir_http, fhir_search, queries
from outreach.escalations.access import get_escalation
from outreach.escalations.atom import bearer_user
from outreach.escalations.fhir_http import MIMETYPE, answer, operation_outcome
from outreach.escalations.fhir_search import DEFAULT_COUNT, MAX_COUNT, TASK_STATUS
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme
from outreach.redaction import redact_contact_details
from outreach.schemas import MAX_ID

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")

READERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)
CAPABILITY_DATE = "2026-12-07"  # when what is served here last changed


# --- Answers ------------------------------------------------------------------------------


bp.before_request(fhir_http.negotiate)
bp.after_app_request(fhir_http.as_outcome)


def fhir_view(view):
    """Turn every refusal the view (or a service under it) raises into an OperationOutcome."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        g.via = "fhir"
        try:
            return view(**kwargs)
        except fhir_search.NotSupported as error:
            return operation_outcome(error.status, error.message, "not-supported")
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
    # To the microsecond, as stored: a client polling with _lastUpdated=gt<the newest it saw>
    # must not skip a change made later within the same millisecond.
    updated = row.updated_at.isoformat(timespec="microseconds")
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
        "for": {"reference": "#patient", "display": row.full_name,
                "identifier": {"system": base + "/clients", "value": str(row.client_id)}},
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


def without_client(resource: dict, verdict: disclosure.Verdict) -> dict:
    """A Task (from `task`) as a caller who may no longer see the client gets it: no Patient,
    words or notes; a withdrawn one cancelled, saying why."""
    if verdict.shown:
        return resource
    for key in ("contained", "for", "description", "note"):
        resource.pop(key, None)
    resource["output"] = [o for o in resource.get("output", [])
                          if o["type"]["text"] != "outcome note"] or None
    if resource["output"] is None:
        del resource["output"]
    if verdict.withdrawn is not None:
        resource["status"] = "cancelled"
        resource["businessStatus"] = {"text": "withdrawn"}
        resource["statusReason"] = {"text": _words(verdict.withdrawn)}
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


def _link(base: str, relation: str, params: list[tuple[str, str]]) -> dict:
    query = urlencode(params)
    return {"relation": relation, "url": f"{base}/fhir/r4/Task" + (f"?{query}" if query
                                                                     else "")}


def _count_of(visible: ColumnElement[bool]) -> Select:
    return select(func.count()).select_from(Escalation).where(visible)


def _ignored_outcome(names: list[str]) -> dict:
    """The Bundle entry saying which parameters a lenient search left out."""
    return {"resource": {"resourceType": "OperationOutcome", "issue": [{
        "severity": "warning", "code": "not-supported",
        "diagnostics": "Ignored (not supported here): " + ", ".join(names)
                       + ". Send Prefer: handling=strict to be refused instead."}]},
        "search": {"mode": "outcome"}}


@bp.get("/Task")
@fhir_view
def search_tasks():
    """A searchset Bundle of the caller's escalations as Tasks (see fhir_search)."""
    user = _caller()
    search = fhir_search.finish(fhir_search.parse(fhir_search.strict()))
    visible = queries.visible(user, organisation_id=search.owner).where(
        *search.criteria).whereclause
    base = _base()
    params = [*search.used, ("_count", str(search.count))]
    given_cursor = request.args.get("_cursor") or None
    links = [_link(base, "self", params + ([("_cursor", given_cursor)] if given_cursor
                                            else []))]
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "meta": {"lastUpdated": _instant(utcnow())}, "link": links}
    if search.summary_count:
        bundle["total"] = db.session.scalar(_count_of(visible))
        rows = []
    else:
        # The total rides on the page's statement (counted once, from an index on PostgreSQL;
        # uncorrelated, so it counts every visible escalation, not the row's); an empty page
        # has no row to carry it, so it is counted on its own.
        total_column = _count_of(visible).correlate(None).scalar_subquery().label("total")
        after = search.page_after()
        rows = db.session.execute(task_rows(visible, *([after] if after is not None else []))
                                  .add_columns(total_column)
                                  .order_by(*search.order).limit(search.count + 1)).all()
        bundle["total"] = rows[0].total if rows else db.session.scalar(_count_of(visible))
        rows, more = split(rows, search.count)
        if more:
            links.append(_link(base, "next",
                               params + [("_cursor", search.cursor_of(rows[-1]))]))
    entries = []
    verdicts = disclosure.judge_many(disclosure.audience_of(user), {r.client_id for r in rows})
    if rows:
        notes = notes_of([row.id for row in rows])
        entries = [{"fullUrl": f"{base}/fhir/r4/Task/{row.id}",
                    "resource": without_client(task(row, notes[row.id], base),
                                               verdicts[row.client_id]),
                    "search": {"mode": "match"}} for row in rows]
    if search.ignored:
        entries.append(_ignored_outcome(search.ignored))
    if entries:
        bundle["entry"] = entries
    record_listing_ids(user, dict.fromkeys(row.client_id for row in rows
                                           if verdicts[row.client_id].shown), purpose="fhir")
    return answer(bundle, pretty=search.pretty)


@bp.get("/Task/<task_id>")
@fhir_view
def read_task(task_id: str):
    """One Task: an escalation the caller may see; another organisation's is refused, audited."""
    user = _caller()
    if not (task_id.isascii() and task_id.isdigit()) or not 1 <= int(task_id) <= MAX_ID:
        raise NotFound(f"No Task {task_id[:64]!r}.")
    escalation = get_escalation(user, int(task_id))
    row = db.session.execute(task_rows(Escalation.id == escalation.id)).one()
    resource = without_client(task(row, notes_of([row.id])[row.id], _base()),
                              disclosure.judge(escalation, disclosure.audience_of(user)))
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
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": "status", "type": "token",
                     "documentation": "FHIR task status; several with commas; status:not."},
                    {"name": "owner", "type": "reference",
                     "documentation": "Organization/<id>: the recipient organisation."},
                    {"name": "patient", "type": "reference",
                     "documentation": "Patient/<id>: the client (Task.for.identifier)."},
                    {"name": "_id", "type": "token", "documentation": "Task ids, with commas."},
                    {"name": "_lastUpdated", "type": "date",
                     "documentation": "eq, ne, gt, ge, lt, le, sa, eb; any FHIR precision."},
                ],
                "documentation": f"Escalations. Page with _count (1 to {MAX_COUNT}, default "
                                 f"{DEFAULT_COUNT}) and the next link; _sort=_lastUpdated, "
                                 "-_lastUpdated, _id or -_id; _summary=count. Other "
                                 "parameters are ignored and named in an outcome entry, or "
                                 "refused under Prefer: handling=strict.",
            }],
        }],
    })
