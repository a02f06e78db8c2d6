"""The programme report's figures, checked against a small fixture counted by hand, and its API.

The fixture (all times UTC; Jersey is on GMT until 29 March 2026; the report is made on
20 March 2026 at 12:00):

Workshop A (the world's tutor): A1 2 Mar, A2 9 Mar, A3 16 Mar (10:00-12:00, all over), A4 23 Mar
(to come), A5 12 Mar (cancelled). Workshop B: B1 10 Feb and B2 17 Feb (14:00-16:00). Workshop C:
no session yet. The other operator has a workshop too, which must never be counted.

    learner  workshop  status      A1/B1    A2/B2    A3      confidence  skills      follow-up
    Ann      A         enrolled    present  present  late    2 -> 4      S1, S2
    Bob      A         enrolled    present  no-show  present 3 -> 3      S1
    Cat      A         enrolled    late     present  -       1 -> none
    Dan      A         enrolled*   (joined 10 Mar)   present
    Eve      A         withdrawn   present                   2 -> 3      S1
    Fay      A         waiting
    Gus      A         offered
    Ann      B         enrolled    present  present          3 -> 5      S1          1
    Hal      B         enrolled    present  no-show          4 -> 3      S5 (retired) 3
    Ivy      B         enrolled    -        late                                     no answer
    Jo       B         enrolled    present  present                                  2
    Kim      C         waiting
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from outreach.db import db, set_clock
from outreach.literacy import reports, services
from outreach.programmes.models import Programme
from tests import factories
from tests.literacy import factories as lf

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
SKILL_WITH_PUNCTUATION = 'Book a "GP" appointment, online'


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class Fixture:
    programme_id: int
    other_programme_id: int
    call_and_check_id: int
    workshop_a: int
    sessions: dict[str, int]


def hand_counted(world) -> Fixture:
    """Build the fixture described at the top of this module (inside an app context)."""
    prog = lf.literacy_programme(world.operator, name="Get Online")
    other = lf.literacy_programme(world.other_operator, name="Other Online")
    # The coordinator has retired the default checklist and kept only the items below.
    for default in services.skills_of(prog):
        default.active = False
    s1, s2 = lf.skill(prog, "Use email", position=1), lf.skill(prog, "Spot a scam", position=2)
    lf.skill(prog, SKILL_WITH_PUNCTUATION, position=3)
    lf.skill(prog, "Send a telegram", position=4, active=False)
    s5 = lf.skill(prog, "Use a fax", position=5, active=False)
    a = lf.workshop(prog, world.tutor, title="Phones and health")
    b = lf.workshop(prog, None, title="First steps")
    c = lf.workshop(prog, None, title="Next term")
    sessions = {f"A{n}": lf.session(a, at(3, day, 10)) for n, day in
                ((1, 2), (2, 9), (3, 16), (4, 23))}
    sessions["A5"] = lf.session(a, at(3, 12, 10), cancelled_at=at(3, 1, 9))
    sessions["B1"] = lf.session(b, at(2, 10, 14))
    sessions["B2"] = lf.session(b, at(2, 17, 14))
    people = {name: factories.client(prog, full_name=name) for name in
              ("Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kim")}
    joined_a, joined_b = at(2, 25, 9), at(2, 1, 9)

    def enrol(ws, name, status="enrolled", joined=None, **kw):
        return lf.enrolment(ws, people[name], status, now=joined or joined_a, **kw)

    marks = {}
    marks["Ann/A"] = enrol(a, "Ann", confidence_before=2, confidence_after=4)
    marks["Bob/A"] = enrol(a, "Bob", confidence_before=3, confidence_after=3)
    marks["Cat/A"] = enrol(a, "Cat", confidence_before=1)
    marks["Dan/A"] = enrol(a, "Dan", joined=at(3, 10, 9))
    marks["Eve/A"] = enrol(a, "Eve", "withdrawn", confidence_before=2, confidence_after=3)
    enrol(a, "Fay", "waiting")
    enrol(a, "Gus", "offered")
    asked = at(3, 17, 10)
    marks["Ann/B"] = enrol(b, "Ann", joined=joined_b, confidence_before=3, confidence_after=5,
                           follow_up_sent_at=asked, follow_up_answer=1)
    marks["Hal/B"] = enrol(b, "Hal", joined=joined_b, confidence_before=4, confidence_after=3,
                           follow_up_sent_at=asked, follow_up_answer=3)
    marks["Ivy/B"] = enrol(b, "Ivy", joined=joined_b, follow_up_sent_at=asked)
    marks["Jo/B"] = enrol(b, "Jo", joined=joined_b, follow_up_sent_at=asked,
                          follow_up_answer=2)
    enrol(c, "Kim", "waiting")
    register = {
        "A1": {"Ann/A": "present", "Bob/A": "present", "Cat/A": "late", "Eve/A": "present"},
        "A2": {"Ann/A": "present", "Bob/A": "no_show", "Cat/A": "present"},
        "A3": {"Ann/A": "late", "Bob/A": "present", "Dan/A": "present"},
        "B1": {"Ann/B": "present", "Hal/B": "present", "Jo/B": "present"},
        "B2": {"Ann/B": "present", "Hal/B": "no_show", "Ivy/B": "late", "Jo/B": "present"},
    }
    for session, row in register.items():
        for who, status in row.items():
            lf.attendance(sessions[session], marks[who], status)
    for who, skill in (("Ann/A", s1), ("Ann/A", s2), ("Bob/A", s1), ("Eve/A", s1),
                       ("Ann/B", s1), ("Hal/B", s5)):
        lf.skill_shown(marks[who], skill)

    # The other operator's workshop, with everything filled in: none of it may show.
    o = lf.workshop(other, None, title="Elsewhere")
    o1 = lf.session(o, at(3, 2, 10))
    stranger = factories.client(other, full_name="Stranger")
    theirs = lf.enrolment(o, stranger, now=joined_a, confidence_before=1, confidence_after=5,
                          follow_up_sent_at=asked, follow_up_answer=1)
    lf.attendance(o1, theirs, "present")
    lf.skill_shown(theirs, lf.skill(other, "Use email"))
    db.session.commit()
    return Fixture(prog.id, other.id, world.programme.id, a.id,
                   {k: v.id for k, v in sessions.items()})


@pytest.fixture
def fixture(app, world) -> Fixture:
    with app.app_context():
        return hand_counted(world)


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


def build(programme_id: int, start: date | None = None, end: date | None = None):
    return reports.build(db.session.get(Programme, programme_id), start, end, NOW)


# --- The figures ------------------------------------------------------------------------------


def test_figures_match_the_hand_count(ctx, fixture):
    report = build(fixture.programme_id)

    assert report.workshops == 3
    assert report.learners == reports.Learners(enrolled=8, waiting=2, offered=1, withdrawn=1,
                                               people=7)
    rows = [(s.session_id, s.present, s.late, s.no_show, s.unmarked, s.rate)
            for s in report.sessions]
    ids = fixture.sessions
    assert rows == [  # in order of time; the cancelled and the future session are not there
        (ids["B1"], 3, 0, 0, 1, 100.0),  # Ivy not marked
        (ids["B2"], 2, 1, 1, 0, 75.0),
        (ids["A1"], 3, 1, 0, 0, 100.0),  # Eve (withdrawn since) still counts; Dan not yet in
        (ids["A2"], 2, 0, 1, 0, 66.7),
        (ids["A3"], 2, 1, 0, 1, 100.0),  # Cat not marked
    ]
    total = report.attendance
    assert (total.present, total.late, total.no_show, total.unmarked) == (12, 3, 2, 2)
    assert total.rate == 88.2  # 15 of 17 marked

    # Ann (3 of 3 on A, 2 of 2 on B) and Jo (2 of 2) completed; Bob and Cat came to 2 of 3
    # (under 75 %), Dan 1 of 3, Hal and Ivy 1 of 2. Eve withdrew; Kim's workshop has not begun.
    assert (report.completion.learners, report.completion.completed) == (8, 3)
    assert report.completion.rate == 37.5
    assert "75%" in report.completion.rule

    assert [(s.name, s.learners) for s in report.skills] == [
        ("Use email", 3),  # Ann (twice: counted once), Bob, Eve
        ("Spot a scam", 1), (SKILL_WITH_PUNCTUATION, 0),
        ("Use a fax", 1),  # retired, but gained before it was: still shown
    ]

    c = report.confidence
    assert (c.learners, c.mean_before, c.mean_after) == (5, 2.8, 3.6)
    assert (c.improved, c.same, c.lower) == (3, 1, 1)
    assert c.before == {1: 0, 2: 2, 3: 2, 4: 1, 5: 0}
    assert c.after == {1: 0, 2: 0, 3: 3, 4: 1, 5: 1}
    assert c.changes == [(2, 3, 1), (2, 4, 1), (3, 3, 1), (3, 5, 1), (4, 3, 1)]

    assert report.follow_up == reports.FollowUp(asked=4, answers={1: 1, 2: 1, 3: 1},
                                                no_answer=1)


def test_dates_choose_the_sessions_and_their_workshops(ctx, fixture):
    # 1 to 15 March: A1 and A2 (A3 is on the 16th, the cancelled A5 does not count); B is in
    # February, C has no session, so only workshop A is covered.
    report = build(fixture.programme_id, date(2026, 3, 1), date(2026, 3, 15))
    assert report.workshops == 1
    assert report.learners == reports.Learners(4, 1, 1, 1, people=4)
    assert [s.session_id for s in report.sessions] == [fixture.sessions["A1"],
                                                       fixture.sessions["A2"]]
    total = report.attendance
    assert (total.present, total.late, total.no_show, total.unmarked, total.rate) == (
        5, 1, 1, 0, 85.7)
    # Completion looks at all of A's sessions that have ended: only Ann came to 3 of 3.
    assert (report.completion.learners, report.completion.completed) == (4, 1)
    assert [(s.name, s.learners) for s in report.skills] == [
        ("Use email", 3), ("Spot a scam", 1), (SKILL_WITH_PUNCTUATION, 0)]
    c = report.confidence
    assert (c.learners, c.mean_before, c.mean_after, c.improved, c.same, c.lower) == (
        3, 2.33, 3.33, 2, 1, 0)
    assert report.follow_up.asked == 0


def test_either_date_alone_and_both_days_included(ctx, fixture):
    ids = fixture.sessions
    only_from = build(fixture.programme_id, start=date(2026, 3, 16))
    assert [s.session_id for s in only_from.sessions] == [ids["A3"]]  # A4 is still to come
    only_to = build(fixture.programme_id, end=date(2026, 2, 10))
    assert [s.session_id for s in only_to.sessions] == [ids["B1"]]
    assert only_to.learners.enrolled == 4  # workshop B alone
    one_day = build(fixture.programme_id, date(2026, 3, 16), date(2026, 3, 16))
    assert [s.session_id for s in one_day.sessions] == [ids["A3"]]
    nothing = build(fixture.programme_id, date(2025, 1, 1), date(2025, 12, 31))
    assert nothing.workshops == 0 and nothing.sessions == []
    assert nothing.attendance.rate is None and nothing.completion.rate is None
    assert nothing.confidence.mean_before is None and nothing.follow_up.asked == 0


def test_days_are_the_programmes_days(ctx, world):
    """Late on 31 March UTC is already 1 April in Jersey (summer time from 29 March)."""
    prog = lf.literacy_programme(world.operator)
    ws = lf.workshop(prog, None)
    late = lf.session(ws, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), hours=1)
    db.session.commit()
    programme = db.session.get(Programme, prog.id)
    now = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
    april = reports.build(programme, date(2026, 4, 1), date(2026, 4, 1), now)
    march = reports.build(programme, date(2026, 3, 31), date(2026, 3, 31), now)
    assert [s.session_id for s in april.sessions] == [late.id]
    assert march.sessions == [] and march.workshops == 0


def test_an_empty_programme_reports_zeros(ctx, world):
    prog = lf.literacy_programme(world.operator)
    db.session.commit()
    report = reports.build(db.session.get(Programme, prog.id), now=NOW)
    assert report.learners == reports.Learners(0, 0, 0, 0, 0)
    assert report.sessions == []
    assert [(s.name, s.learners) for s in report.skills] == [(name, 0) for name in
                                                            services.DEFAULT_SKILLS]
    assert (report.attendance.rate, report.completion.rate) == (None, None)
    assert report.confidence.learners == 0 and report.confidence.changes == []
    assert report.follow_up == reports.FollowUp(0, {1: 0, 2: 0, 3: 0}, 0)


def test_completion_needs_three_sessions_in_four(ctx, world):
    """At exactly 75 % a learner has completed; just under, not."""
    prog = lf.literacy_programme(world.operator)
    ws = lf.workshop(prog, None)
    sessions = [lf.session(ws, at(3, day, 10)) for day in (2, 3, 4, 5)]
    three, two = (lf.enrolment(ws, factories.client(prog), now=at(3, 1, 9)) for _ in range(2))
    for session in sessions[:3]:
        lf.attendance(session, three, "late")
    for session in sessions[:2]:
        lf.attendance(session, two, "present")
    lf.attendance(sessions[2], two, "no_show")
    db.session.commit()
    completion = reports.build(db.session.get(Programme, prog.id), now=NOW).completion
    assert (completion.learners, completion.completed) == (2, 1)


# --- The API -----------------------------------------------------------------------------------


def query(fixture: Fixture, **extra) -> str:
    args = {"programme_id": fixture.programme_id, **extra}
    return "/reports/literacy?" + "&".join(f"{k}={v}" for k, v in args.items())


def test_api_gives_the_same_figures(fixture, world, api_as):
    response = api_as(world.coordinator).get(query(fixture))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["programme_id"], body["programme_name"]) == (fixture.programme_id, "Get Online")
    assert body["from"] is None and body["to"] is None and body["workshops"] == 3
    assert body["learners"] == {"enrolled": 8, "waiting": 2, "offered": 1, "withdrawn": 1,
                                "people": 7}
    first = body["sessions"][0]
    assert first == {"session_id": fixture.sessions["B1"], "workshop_id": first["workshop_id"],
                     "workshop_title": "First steps", "starts_at": "2026-02-10T14:00:00+00:00",
                     "venue": "Town Library, room 2", "present": 3, "late": 0, "no_show": 0,
                     "unmarked": 1, "attendance_percent": 100.0}
    assert body["attendance"] == {"present": 12, "late": 3, "no_show": 2, "unmarked": 2,
                                  "attendance_percent": 88.2}
    assert {k: body["completion"][k] for k in ("learners", "completed", "completed_percent")} \
        == {"learners": 8, "completed": 3, "completed_percent": 37.5}
    assert [(s["name"], s["learners"]) for s in body["skills"]][0] == ("Use email", 3)
    confidence = body["confidence"]
    assert (confidence["learners"], confidence["mean_before"], confidence["mean_after"]) == (
        5, 2.8, 3.6)
    assert confidence["before"] == {"1": 0, "2": 2, "3": 2, "4": 1, "5": 0}
    assert confidence["changes"][0] == {"before": 2, "after": 3, "learners": 1}
    assert body["follow_up"] == {"asked": 4, "on_my_own": 1, "with_help": 1, "not_yet": 1,
                                 "no_answer": 1}


def test_api_date_range(fixture, world, api_as):
    body = api_as(world.admin).get(query(fixture, **{"from": "2026-03-01",
                                                     "to": "2026-03-15"})).get_json()
    assert (body["from"], body["to"], body["workshops"]) == ("2026-03-01", "2026-03-15", 1)
    assert len(body["sessions"]) == 2 and body["attendance"]["present"] == 5
    blank = api_as(world.admin).get(query(fixture, **{"from": "", "to": ""}))
    assert blank.status_code == 200 and blank.get_json()["workshops"] == 3


@pytest.mark.parametrize("extra, field", [
    ({"from": "2026-03-15", "to": "2026-03-01"}, "to"),
    ({"from": "15/03/2026"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "２０２６-03-01"}, "from"),
    ({"from": "x" * 5000}, "from"),
    ({"from": "2026-03-01' OR 1=1 --"}, "from"),
    ({"programme_id": "one"}, "programme_id"),
    ({"programme_id": "-3"}, "programme_id"),
    ({"programme_id": str(2**40)}, "programme_id"),
    ({"colour": "red"}, "colour"),
])
def test_api_refuses_bad_input(fixture, world, api_as, extra, field):
    response = api_as(world.coordinator).get(query(fixture, **extra))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_needs_a_programme(world, api_as):
    response = api_as(world.coordinator).get("/reports/literacy")
    assert response.status_code == 422
    assert "programme_id" in response.get_json()["error"]["fields"]


def test_api_who_may_read_it(fixture, world, api_as, client):
    from tests.conftest import API

    assert api_as(world.other_coordinator).get(query(fixture)).status_code == 403
    theirs = query(fixture, programme_id=fixture.other_programme_id)
    assert api_as(world.other_coordinator).get(theirs).status_code == 200
    assert api_as(world.coordinator).get(theirs).status_code == 403
    for role in ("tutor", "visitor", "provider"):
        response = api_as(getattr(world, role)).get(query(fixture))
        assert response.status_code == 403, role
        assert response.get_json()["error"]["code"] == "forbidden"
    assert API(client).get(query(fixture)).status_code == 401
    missing = api_as(world.coordinator).get(query(fixture, programme_id=2**31 - 1))
    assert missing.status_code == 404
    call_and_check = api_as(world.coordinator).get(
        query(fixture, programme_id=fixture.call_and_check_id))
    assert call_and_check.status_code == 422
    assert "programme_id" in call_and_check.get_json()["error"]["fields"]


def test_api_report_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/literacy"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"programme_id", "from", "to"} <= names


def test_the_report_changes_nothing(ctx, fixture):
    """Reading the report is read-only: the same figures twice, nothing added."""
    from sqlalchemy import func, select

    from outreach.literacy.models import Attendance, WorkshopEnrolment

    def count():
        return [db.session.scalar(select(func.count()).select_from(m))
                for m in (Attendance, WorkshopEnrolment)]

    before = count()
    first, second = build(fixture.programme_id), build(fixture.programme_id)
    assert first.sessions == second.sessions and count() == before


def test_a_moment_before_a_session_starts_it_is_not_counted(ctx, fixture):
    programme = db.session.get(Programme, fixture.programme_id)
    before_a3 = reports.build(programme, now=at(3, 16, 10) - timedelta(minutes=1))
    assert fixture.sessions["A3"] not in [s.session_id for s in before_a3.sessions]
    # Then A counts A1 and A2 only: Ann and Cat came to both (Bob to one, Dan to none); on B
    # Ann and Jo completed as before. Dan's mark at A3 waits for A3 to end.
    assert (before_a3.completion.learners, before_a3.completion.completed) == (8, 4)
