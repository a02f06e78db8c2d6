"""FHIR search on /fhir/r4/Task beyond status and owner: _lastUpdated at every precision and
prefix, _sort, _id, patient, status:not, _summary=count; strict and lenient handling of what is
not served; OperationOutcome for every error; 406 for formats not served; and a client polling
by _lastUpdated while escalations change, seeing each change once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.db import db, set_clock
from outreach.enums import OrganisationKind, Role
from outreach.escalations.models import Escalation
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories

START = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
FHIR = "/fhir/r4"


@pytest.fixture(autouse=True)
def _clock():
    set_clock(START)
    yield
    set_clock(None)


def _get(client, api, path="/Task", headers=None, **query):
    merged = {"Authorization": f"Bearer {api.token}", **(headers or {})}
    return client.get(FHIR + path, headers=merged, query_string=query)


def _bundle(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    Bundle.model_validate(body)
    assert body["type"] == "searchset"
    for entry in body.get("entry", []):
        if entry["search"]["mode"] == "match":
            Task.model_validate(entry["resource"])
        else:
            assert entry["search"]["mode"] == "outcome"
            OperationOutcome.model_validate(entry["resource"])
    return body


def _outcome(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["severity"] == "error"
    return body


def _ids(body: dict) -> list[int]:
    return [int(e["resource"]["id"]) for e in body.get("entry", [])
            if e["search"]["mode"] == "match"]


def _self_query(body: dict) -> dict:
    url = next(link["url"] for link in body["link"] if link["relation"] == "self")
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def practice(app):
    """A practice of its own with a provider user, a programme and two clients."""
    with app.app_context():
        operator = factories.organisation()
        gp = factories.organisation(OrganisationKind.HEALTH, name="Search Surgery")
        programme = factories.programme(operator)
        people = [factories.client(programme), factories.client(programme)]
        user = factories.user(Role.PROVIDER, gp)
        db.session.commit()
        return {"gp": gp.id, "user": user, "clients": [c.id for c in people]}


def _escalate(app, practice, updated: datetime, *, person: int = 0, category: str = "fall",
              **kw) -> int:
    with app.app_context():
        made = factories.escalation(db.session.get(Client, practice["clients"][person]),
                                    db.session.get(Organisation, practice["gp"]),
                                    category=category, created_at=updated, **kw)
        db.session.commit()
        return made.id


def _fhir_instant(moment: datetime, precision: str) -> str:
    """`moment` written at a FHIR precision (what a client might send)."""
    return {"year": f"{moment:%Y}", "month": f"{moment:%Y-%m}", "day": f"{moment:%Y-%m-%d}",
            "minute": f"{moment:%Y-%m-%dT%H:%M}Z",
            "second": f"{moment:%Y-%m-%dT%H:%M:%S}+00:00",
            "milli": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "micro": moment.isoformat(timespec="microseconds")}[precision]


def _expected_range(moment: datetime, precision: str) -> tuple[datetime, datetime]:
    """The range the value stands for, worked out independently by truncation."""
    if precision == "year":
        start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        return start, start.replace(year=start.year + 1)
    if precision == "month":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        after = (start + timedelta(days=32)).replace(day=1)
        return start, after
    step = {"day": timedelta(days=1), "minute": timedelta(minutes=1),
            "second": timedelta(seconds=1), "milli": timedelta(milliseconds=1),
            "micro": timedelta(microseconds=1)}[precision]
    start = datetime.min.replace(tzinfo=UTC) + (
        (moment - datetime.min.replace(tzinfo=UTC)) // step) * step
    return start, start + step


MATCHES = {
    "eq": lambda t, lo, hi: lo <= t < hi, "ne": lambda t, lo, hi: not lo <= t < hi,
    "gt": lambda t, lo, hi: t >= hi, "sa": lambda t, lo, hi: t >= hi,
    "ge": lambda t, lo, hi: t >= lo, "lt": lambda t, lo, hi: t < lo,
    "eb": lambda t, lo, hi: t < lo, "le": lambda t, lo, hi: t < hi,
}
# Times around the edges of every precision: the same microsecond, millisecond, second, ...
offsets = st.sampled_from([0, 1, 999, 1000, 999_999, 10**6, 59 * 10**6, 60 * 10**6,
                           3600 * 10**6, 86_400 * 10**6, 40 * 86_400 * 10**6,
                           400 * 86_400 * 10**6]).flatmap(
    lambda size: st.sampled_from([size, -size]))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(offsets, min_size=1, max_size=5, unique=True), asked=offsets,
       prefix=st.sampled_from(sorted(MATCHES) + [""]),
       precision=st.sampled_from(["year", "month", "day", "minute", "second", "milli",
                                  "micro"]))
def test_last_updated_matches_fhirs_ranges(app, api_as, client, practice, stored, asked, prefix,
                                           precision):
    """For any stored times and any value at any precision and prefix, the Tasks found are
    exactly those whose lastUpdated falls where FHIR's date search says."""
    base = START + timedelta(microseconds=123_457)
    categories = ["fall", "pain_or_illness", "medication", "food_or_shopping", "transport"]
    with app.app_context():
        db.session.query(Escalation).filter(
            Escalation.organisation_id == practice["gp"]).delete()
        db.session.commit()
    made = {}
    for offset, category in zip(stored, categories, strict=False):
        moment = base + timedelta(microseconds=offset)
        made[_escalate(app, practice, moment, category=category)] = moment
    value = _fhir_instant(base + timedelta(microseconds=asked), precision)
    lo, hi = _expected_range(base + timedelta(microseconds=asked), precision)
    body = _bundle(_get(client, api_as(practice["user"]), _lastUpdated=prefix + value,
                        _count="200"))
    wanted = {i for i, moment in made.items() if MATCHES[prefix or "eq"](moment, lo, hi)}
    assert set(_ids(body)) == wanted
    assert body["total"] == len(wanted)


def test_last_updated_in_the_future_finds_nothing(app, world, api_as, client, practice):
    _escalate(app, practice, START)
    api = api_as(practice["user"])
    assert _bundle(_get(client, api, _lastUpdated="gt2099-01-01"))["total"] == 0
    assert _bundle(_get(client, api, _lastUpdated="lt2099-01-01"))["total"] == 1
    both = _bundle(client.get(f"{FHIR}/Task?_lastUpdated=ge2026-05-04&_lastUpdated=lt2026-05-05",
                              headers={"Authorization": f"Bearer {api.token}"}))
    assert both["total"] == 1
    assert _self_query(both)["_lastUpdated"] == ["ge2026-05-04", "lt2026-05-05"]


@pytest.mark.parametrize("value", ["gt", "gt2026-13", "2026-02-30", "gt2026-05-04T10:00",
                                   "gt20260504", "gtyesterday", "xx2026", "2026-05-04T25:00Z",
                                   "gt2026-05-04T10:00:00.1234567890Z"])
def test_bad_dates_are_a_400_outcome(value, api_as, client, practice):
    body = _outcome(_get(client, api_as(practice["user"]), _lastUpdated=value), 400)
    assert body["issue"][0]["code"] == "invalid"


def test_sort_by_last_updated_pages_in_order_both_ways(app, api_as, client, practice):
    # Written out of time order, so id order and time order differ.
    times = [START + timedelta(minutes=m) for m in (5, 1, 4, 2, 3)]
    categories = ["fall", "pain_or_illness", "medication", "food_or_shopping", "transport"]
    made = [_escalate(app, practice, t, category=c) for t, c in zip(times, categories,
                                                                    strict=True)]
    by_time = [i for _, i in sorted(zip(times, made, strict=True))]
    api = api_as(practice["user"])
    for sort, expected in (("_lastUpdated", by_time), ("-_lastUpdated", by_time[::-1]),
                           ("-_id", sorted(made, reverse=True))):
        seen, url = [], f"{FHIR}/Task?_sort={sort}&_count=2"
        while url:
            body = _bundle(client.get(url, headers={"Authorization": f"Bearer {api.token}"}))
            assert _self_query(body)["_sort"] == [sort]
            seen += _ids(body)
            following = [link["url"] for link in body["link"] if link["relation"] == "next"]
            url = following[0].removeprefix("http://localhost") if following else None
        assert seen == expected, sort
    # A cursor made for one order is refused under another.
    first = _bundle(_get(client, api, _sort="_lastUpdated", _count="2"))
    cursor = parse_qs(urlsplit(next(link["url"] for link in first["link"]
                                    if link["relation"] == "next")).query)["_cursor"][0]
    _outcome(_get(client, api, _cursor=cursor), 400)


def test_id_patient_status_not_and_summary_count(app, api_as, client, practice):
    first = _escalate(app, practice, START, person=0)
    second = _escalate(app, practice, START, person=1, category="medication")
    third = _escalate(app, practice, START, person=1, category="transport")
    api = api_as(practice["user"])
    acknowledged = api.post(f"/escalations/{third}/acknowledge", json={"note": "Seen"})
    assert acknowledged.status_code == 200, acknowledged.get_json()
    assert _ids(_bundle(_get(client, api, _id=f"{second},{first},99999,abc"))) == [first, second]
    assert _ids(_bundle(_get(client, api, _id="abc"))) == []
    person = practice["clients"][1]
    for reference in (f"Patient/{person}", str(person),
                      f"http://localhost/fhir/r4/Patient/{person}"):
        assert _ids(_bundle(_get(client, api, patient=reference))) == [second, third]
    task = _bundle(_get(client, api, _id=str(second)))["entry"][0]["resource"]
    assert task["for"]["identifier"]["value"] == str(person)
    assert _ids(_bundle(_get(client, api, **{"status:not": "accepted"}))) == [first, second]
    assert _ids(_bundle(_get(client, api, **{"status:not": "requested,accepted"}))) == []
    assert _ids(_bundle(_get(client, api, status="requested", patient=str(person)))) == [second]
    counted = _bundle(_get(client, api, _summary="count", patient=str(person)))
    assert counted["total"] == 2 and "entry" not in counted
    for reference in ("Organization/1", "Patient/x", "Patient/0", ""):
        _outcome(_get(client, api, patient=reference), 400)


UNSERVED = [{"category": "fall"}, {"status:exact": "requested"}, {"code": "fall"},
            {"_sort": "priority"}, {"_summary": "true"}, {"_elements": "id"},
            {"_include": "Task:owner"}, {"owner:missing": "true"}]


@pytest.mark.parametrize("query", UNSERVED)
def test_strict_handling_refuses_what_is_not_served(query, api_as, client, practice):
    body = _outcome(_get(client, api_as(practice["user"]),
                         headers={"Prefer": "handling=strict"}, **query), 400)
    assert body["issue"][0]["code"] == "not-supported"
    assert next(iter(query)) in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("query", UNSERVED)
def test_lenient_handling_serves_and_names_what_it_ignored(query, app, api_as, client, practice):
    made = _escalate(app, practice, START)
    for prefer in ({}, {"Prefer": "handling=lenient"}, {"Prefer": "return=minimal"}):
        body = _bundle(_get(client, api_as(practice["user"]), headers=prefer, status="requested",
                            **query))
        assert _ids(body) == [made]
        assert body["total"] == 1
        used = _self_query(body)
        assert next(iter(query)) not in used
        assert used["status"] == ["requested"]
        [outcome] = [e for e in body["entry"] if e["search"]["mode"] == "outcome"]
        assert outcome["resource"]["issue"][0]["severity"] == "warning"
        assert next(iter(query)) in outcome["resource"]["issue"][0]["diagnostics"]


def test_nothing_ignored_means_no_outcome_entry(app, api_as, client, practice):
    _escalate(app, practice, START)
    body = _bundle(_get(client, api_as(practice["user"]), headers={"Prefer": "handling=strict"},
                        status="requested", _sort="-_lastUpdated", _count="5", _format="json",
                        _pretty="true"))
    assert all(e["search"]["mode"] == "match" for e in body["entry"])


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/Patient", 404), ("GET", "/Task/1/_history", 404), ("GET", "", 404),
    ("GET", "/", 404), ("POST", "/Task", 405), ("DELETE", "/Task/1", 405),
    ("PUT", "/metadata", 405),
])
def test_every_error_is_an_operation_outcome(method, path, status, api_as, client, practice):
    response = client.open(FHIR + path, method=method,
                           headers={"Authorization": f"Bearer {api_as(practice['user']).token}"})
    _outcome(response, status)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_refusals_are_outcomes(world, api_as, client):
    _outcome(client.get(f"{FHIR}/Task"), 401)
    _outcome(_get(client, api_as(world.visitor)), 403)


@pytest.mark.parametrize("query, headers", [
    ({"_format": "xml"}, {}), ({"_format": "application/fhir+xml"}, {}),
    ({"_format": "ttl"}, {}), ({"_format": "html"}, {}),
    ({}, {"Accept": "application/fhir+xml"}), ({}, {"Accept": "application/xml"}),
    ({}, {"Accept": "text/html"}),
])
@pytest.mark.parametrize("path", ["/Task", "/metadata", "/Task/1"])
def test_formats_not_served_are_406(query, headers, path, api_as, client, practice):
    _outcome(_get(client, api_as(practice["user"]), path, headers=headers, **query), 406)


@pytest.mark.parametrize("query, headers", [
    ({"_format": "json"}, {}), ({"_format": "application/fhir+json"}, {}),
    ({"_format": "application/json"}, {}), ({}, {"Accept": "application/fhir+json"}),
    ({}, {"Accept": "application/json"}), ({}, {"Accept": "*/*"}),
    ({}, {"Accept": "application/fhir+xml;q=0.9, application/fhir+json"}),
])
def test_json_formats_are_served(query, headers, api_as, client, practice):
    _bundle(_get(client, api_as(practice["user"]), headers=headers, **query))


# --- Polling by _lastUpdated while escalations change -------------------------------------------

ACTIONS = st.lists(st.sampled_from(["new", "acknowledge", "note", "resolve", "poll"]),
                   min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_a_poller_by_last_updated_sees_each_change_once(app, api_as, client, practice, actions):
    """A client asks for `_lastUpdated=gt<the newest it saw>` (sorted by _lastUpdated) between
    changes made through the API: each poll brings exactly the Tasks changed since the last,
    each once, as they now stand, and nothing it already saw."""
    api = api_as(practice["user"])
    with app.app_context():
        db.session.query(Escalation).filter(
            Escalation.organisation_id == practice["gp"]).delete()
        db.session.commit()
    moment = [START + timedelta(hours=1)]

    def tick() -> None:
        moment[0] += timedelta(microseconds=7)  # changes close together, on a set clock
        set_clock(moment[0])

    newest = "gt2000-01-01"
    changed: dict[int, str] = {}  # Task id → its status, since the last poll
    live: list[int] = []
    categories = iter(["fall", "pain_or_illness", "medication", "food_or_shopping",
                       "transport", "money", "loneliness", "home_or_heating", "personal_care",
                       "digital_help", "safeguarding", "other", "no_answer", "missed_visit"])
    seen_versions: set[tuple[int, str]] = set()

    def poll() -> None:
        nonlocal newest
        body = _bundle(_get(client, api, _lastUpdated=newest, _sort="_lastUpdated",
                            _count="200"))
        tasks = [e["resource"] for e in body.get("entry", [])]
        assert {int(t["id"]): t["status"] for t in tasks} == changed
        for found in tasks:
            version = (int(found["id"]), found["meta"]["lastUpdated"])
            assert version not in seen_versions
            seen_versions.add(version)
        if tasks:
            newest = "gt" + tasks[-1]["meta"]["lastUpdated"]
        changed.clear()

    for action in actions + ["poll"]:
        tick()
        if action == "poll":
            poll()
        elif action == "new" or not live:
            made = _escalate(app, practice, moment[0], category=next(categories, "other"))
            live.append(made)
            changed[made] = "requested"
        else:
            target = live[-1]
            path = f"/escalations/{target}"
            if action == "acknowledge":
                before = _status_now(app, target)
                answer = api.post(f"{path}/acknowledge", json={"note": "Looking"})
                assert answer.status_code == 200, answer.get_json()
                if before != "accepted":  # a second acknowledgement changes nothing
                    changed[target] = "accepted"
            elif action == "note":
                answer = api.post(f"{path}/notes", json={"note": "Called again"})
                assert answer.status_code == 201, answer.get_json()
                changed[target] = _status_now(app, target)
            else:
                answer = api.post(f"{path}/resolve",
                                  json={"outcome": "referred_on", "usefulness": 4})
                assert answer.status_code == 200, answer.get_json()
                changed[target] = "completed"
                live.remove(target)


def _status_now(app, escalation_id: int) -> str:
    from outreach.escalations.fhir_search import TASK_STATUS

    with app.app_context():
        return TASK_STATUS[db.session.get(Escalation, escalation_id).status]
