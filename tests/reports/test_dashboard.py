"""Every figure of the programme dashboard against the fixture counted by hand
(tests/reports/fixture.py describes it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from outreach.auth.models import User
from outreach.db import db
from outreach.errors import Forbidden, NotFound
from outreach.programmes.models import Programme
from outreach.reports import dashboard
from outreach.reports.dashboard import Scope, default_range
from outreach.reports.dashboard_escalations import CONTACTS, Timing
from outreach.reports.dashboard_outcomes import _months_before
from outreach.reports.sql import month_starts, percentiles
from tests.reports import fixture
from tests.reports.fixture import END, START


@pytest.fixture
def made(ctx):
    return fixture.build()


def scope(made, start=START, end=END, **kw) -> Scope:
    return Scope(db.session.get(Programme, made.programme_id), start, end, **kw)


def test_clients(made):
    figures = dashboard.clients(scope(made))
    # Enrolled in range: B (10 Jan), C (5 Feb). Active at the end: A, B, F (C, D, E have
    # left). Left in range: C (10 Mar, Moved away), D (20 Jan, blank reason).
    assert (figures.enrolled, figures.active, figures.left) == (2, 3, 2)
    assert figures.reasons == [("Moved away", 1), ("No reason given", 1)]
    # [enrolled, left] per month: Jan B joins, D leaves; Feb C joins; Mar C leaves.
    assert figures.by_month == [[1, 1], [1, 0], [0, 1]]


def test_clients_filtered_by_parish_and_round(made):
    trinity = dashboard.clients(scope(made, parish="Trinity"))  # C, D, E
    assert (trinity.enrolled, trinity.active, trinity.left) == (1, 0, 2)
    r1 = dashboard.clients(scope(made, round_id=made.round_id))  # A, C
    assert (r1.enrolled, r1.active, r1.left) == (1, 1, 1)
    nobody = dashboard.clients(scope(made, parish="'; DROP TABLE clients; --"))
    assert (nobody.enrolled, nobody.active, nobody.left, nobody.reasons) == (0, 0, 0, [])


def test_visits(made):
    figures = dashboard.visits(scope(made))
    # A 3 (5 Jan, 12 Jan, 2 Feb) + B 2 + C 1 = 6 done; missed A 19 Jan + C 2 Mar = 2.
    assert (figures.done, figures.missed, figures.planned) == (6, 2, 8)
    assert figures.done_percent == 75.0  # 6 / 8
    assert figures.by_outcome == {"seen_well": 2, "seen_concern": 1, "no_answer": 1,
                                  "declined": 1, "away": 1}
    # Per month: seen_well, seen_concern, no_answer, declined, away, missed.
    assert figures.by_month == [[2, 0, 1, 0, 0, 1], [0, 1, 0, 1, 0, 0], [0, 0, 0, 0, 1, 1]]
    r1 = dashboard.visits(scope(made, round_id=made.round_id))  # A 3 + C 1; missed A, C
    assert (r1.done, r1.missed) == (4, 2)


def test_no_answers(made):
    figures = dashboard.no_answers(scope(made))
    # N1, N6, N2, N3, N4 (N5 is 1 April in Jersey). Seen again N1, N6; dealt with N2; flagged
    # N3; waiting N4. Closed after 6, 24 and 48 h: the median (rank ceil(3 * .5) = 2) is 24.
    assert (figures.raised, figures.seen_again, figures.dealt_with, figures.flagged_open,
            figures.waiting) == (5, 2, 1, 1, 1)
    assert figures.median_hours_to_close == 24.0


def test_needs_by_category(made):
    figures = dashboard.needs(scope(made))
    assert figures.categories == ["fall", "food_or_shopping", "no_answer", "missed_visit"]
    assert figures.totals == [1, 2, 5, 1]
    # Jan: food A, no-answers N1 N6; Feb: food B, N2 N3; Mar: fall C, N4, missed C.
    assert figures.by_month == [[0, 1, 2, 0], [0, 1, 2, 0], [1, 0, 1, 1]]
    assert [figures.safety_net(c) for c in figures.categories] == [False, False, True, True]


def test_escalations_by_severity(made):
    rows = {r.severity: r for r in dashboard.build(scope(made)).escalations.by_severity}
    urgent, soon, routine = rows["urgent"], rows["soon"], rows["routine"]
    # Urgent: E3 only, acknowledged after 1 h, resolved after 6 h (due in 4: late).
    assert (urgent.count, urgent.acknowledged, urgent.resolved, urgent.passed_on,
            urgent.resolved_late) == (1, 1, 1, 0, 1)
    assert urgent.timing == Timing(1.0, 1.0, 6.0, 6.0)
    # Soon: E1, E2, E4, E5. Acknowledged 2, 4, 10 h: median rank 2 = 4, p90 rank
    # ceil(3 * .9) = 3 = 10. Resolved 20, 30 h: median rank 1 = 20, p90 rank 2 = 30.
    # Passed on: E4. Late: E2 (30 > 24) and E5 (flagged resolve-overdue).
    assert (soon.count, soon.acknowledged, soon.resolved, soon.passed_on,
            soon.resolved_late) == (4, 3, 2, 1, 2)
    assert soon.timing == Timing(4.0, 10.0, 20.0, 30.0)
    assert (routine.count, routine.timing) == (0, Timing(None, None, None, None))


def test_escalations_by_recipient(made):
    figures = dashboard.build(scope(made)).escalations
    assert figures.total == 5
    rows = [(r.name, r.count, r.acknowledged, r.resolved, r.passed_on, r.resolved_late, r.timing)
            for r in figures.by_recipient]
    assert rows == [
        # E1, E2: acknowledged 2, 4 h; resolved 20, 30 h; E2 late.
        ("Food Bank Trust", 2, 2, 2, 0, 1, Timing(2.0, 4.0, 20.0, 30.0)),
        # E3, E5: acknowledged 1, 10 h; resolved 6 h (E3); both late.
        ("Grouville GP", 2, 2, 1, 0, 2, Timing(1.0, 10.0, 6.0, 6.0)),
        (CONTACTS, 1, 0, 0, 1, 0, Timing(None, None, None, None)),  # E4
    ]


def test_usefulness(made):
    rows = [(u.name, u.ratings, u.rated, u.mean) for u in dashboard.build(scope(made)).usefulness]
    assert rows == [
        ("Food Bank Trust", {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}, 2, 4.0),  # (5 + 3) / 2
        ("Grouville GP", {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}, 2, 3.0),  # (4 + 2) / 2
    ]


def test_texts(made):
    texts = dashboard.build(scope(made)).sms
    # Sent: M1, M2, M3 (undelivered) and M10 (sending); M4 failed, M5 queued. Segments
    # 1 + 2 + 1 + 1 = 5; cost 0.04 + 0.08 + 0.04 + 0.04 = 0.20.
    assert (texts.sent, texts.delivered, texts.failed, texts.replies, texts.opt_outs,
            texts.segments, texts.cost) == (4, 2, 1, 2, 1, 5, Decimal("0.20"))
    assert texts.delivered_percent == 50.0
    assert texts.by_month == [[1, 1, 1], [2, 1, 0], [1, 0, 1]]  # [sent, delivered, replies]
    # Trinity: C's M3 and M7 only (M10 is about no client, so not about Trinity's).
    trinity = dashboard.build(scope(made, parish="Trinity")).sms
    assert (trinity.sent, trinity.delivered, trinity.replies, trinity.opt_outs,
            trinity.segments, trinity.cost) == (1, 0, 1, 1, 1, Decimal("0.04"))
    assert trinity.delivered_percent == 0.0


def test_wellbeing_by_quarter(made):
    figures = dashboard.build(scope(made, start=date(2025, 7, 1))).wellbeing
    quarters = [(q.label, q.measures, q.means["ucla"]) for q in figures.quarters]
    # Q3: W1 (6). Q4: W2 (5), W4 (6) = 5.5. Q1: W3 3, W5 4, W6 9, W7 7, W15 6, W16 6 = 35 / 6.
    assert quarters == [("2025 Q3", 1, 6.0), ("2025 Q4", 2, 5.5), ("2026 Q1", 6, 5.83)]
    q1 = figures.quarters[-1].means
    # Life 7+8+2+4+5+5 = 31, worthwhile 6+8+3+5+5+5 = 32, happy 8+8+2+4+5+5 = 32,
    # anxious 3+4+9+7+5+5 = 33; each over 6.
    assert (q1["ons_life_satisfaction"], q1["ons_worthwhile"], q1["ons_happy"],
            q1["ons_anxious"]) == (5.17, 5.33, 5.33, 5.5)


def test_wellbeing_before_and_after(made):
    figures = dashboard.build(scope(made)).wellbeing
    assert [(q.label, q.measures) for q in figures.quarters] == [("2026 Q1", 6)]
    # A (W1 -> W3, the latest in range) and D (W4 -> W5, 85 days). F's two are 69 days
    # apart; E's second is before the range; B and C joined less than 3 months before 31 March.
    assert figures.clients_compared == 2
    changes = {c.score: (c.mean_before, c.mean_after, c.better, c.same, c.worse)
               for c in figures.changes}
    assert changes == {
        "ucla": (6.0, 3.5, 2, 0, 0),  # A 6 -> 3, D 6 -> 4 (lower is better)
        "ons_life_satisfaction": (6.0, 7.5, 2, 0, 0),  # A 5 -> 7, D 7 -> 8
        "ons_worthwhile": (6.5, 7.0, 1, 1, 0),  # A 6 -> 6, D 7 -> 8
        "ons_happy": (6.0, 8.0, 2, 0, 0),  # A 5 -> 8, D 7 -> 8
        "ons_anxious": (4.5, 3.5, 1, 0, 1),  # A 6 -> 3 better, D 3 -> 4 worse
    }


def test_satisfaction_and_cost(made):
    figures = dashboard.build(scope(made))
    assert figures.satisfaction.answers == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert figures.satisfaction.mean == 3.67  # (5 + 4 + 2) / 3
    cost = figures.cost
    # 6 visits at 6.75 = 40.50; texts 0.20; 40.70 / 6 = 6.78.
    assert (cost.per_visit, cost.visits, cost.visits_cost, cost.texts_cost, cost.total,
            cost.per_visit_with_texts) == (Decimal("6.75"), 6, Decimal("40.50"),
                                           Decimal("0.20"), Decimal("40.70"), Decimal("6.78"))


def test_an_empty_range_has_nothing_to_divide(made):
    figures = dashboard.build(scope(made, start=date(2030, 1, 1), end=date(2030, 1, 1)))
    assert (figures.visits.done, figures.visits.done_percent) == (0, None)
    assert figures.no_answers.median_hours_to_close is None
    assert figures.cost.per_visit_with_texts is None
    assert figures.sms.delivered_percent is None
    assert figures.satisfaction.mean is None
    assert figures.wellbeing.clients_compared == 0
    assert figures.needs.categories == []


def test_who_may_read_it(made):
    def user(user_id):
        return db.session.get(User, user_id)

    assert dashboard.programme_for_dashboard(user(made.coordinator_id), made.programme_id)
    assert dashboard.programme_for_dashboard(user(made.admin_id), made.programme_id)
    for someone in (made.other_coordinator_id, made.visitor_id, made.provider_id):
        with pytest.raises(Forbidden):
            dashboard.programme_for_dashboard(user(someone), made.programme_id)
    with pytest.raises(NotFound):
        dashboard.programme_for_dashboard(user(made.admin_id), 10**9)
    assert made.programme_id in [p.id for p in dashboard.programmes_for(user(made.coordinator_id))]
    assert made.programme_id not in [
        p.id for p in dashboard.programmes_for(user(made.other_coordinator_id))]
    assert dashboard.programmes_for(user(made.visitor_id)) == []


def test_percentiles_are_nearest_rank(ctx):
    """ceil(p * n / 100)-th smallest, on both databases: no interpolation."""
    values = _values([10, 1, 4, 7, 2, None])
    row = db.session.execute(percentiles(values, points=(50, 90, 100))).one()
    # Sorted 1, 2, 4, 7, 10 (the blank left out): p50 rank 3 = 4; p90 rank 5 = 10.
    assert (row.n, row.p50, row.p90, row.p100) == (5, 4, 10, 10)


def _values(numbers):
    from sqlalchemy import Integer, cast, literal, union_all

    return union_all(*(select(cast(literal(v), Integer).label("value")) for v in numbers)
                     ).subquery()


def test_default_range_and_periods():
    assert default_range(date(2026, 11, 24)) == (date(2025, 11, 25), date(2026, 11, 24))
    assert default_range(date(2028, 2, 29)) == (date(2027, 3, 1), date(2028, 2, 29))
    assert month_starts(date(2026, 1, 15), date(2026, 3, 31)) == [
        date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert month_starts(date(2025, 11, 2), date(2026, 2, 1), step=3) == [
        date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)]
    assert _months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert _months_before(date(2026, 3, 31), 3) == date(2025, 12, 31)


def test_sections_split_over_two_connections_agree(app, tmp_path, monkeypatch):
    """Sections run in the helper thread, on a connection of its own, give the figures they
    give on the request's; a section that fails there fails the build."""
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.reports import dashboard_escalations, dashboard_outcomes, dashboard_sections

    # Data another connection can see: a database of its own, committed, and sessions that are
    # not pinned to the test's connection. SQLite lets one transaction at a time write (the
    # application begins them IMMEDIATE), so here the request's side is left empty and the
    # helper thread runs every section.
    apart = create_app({"TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'split.sqlite3'}"})
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    sections = (dashboard.visits, dashboard_outcomes.texts, dashboard.clients,
                dashboard.no_answers, dashboard.needs, dashboard_outcomes.wellbeing,
                dashboard_escalations.escalations, dashboard_outcomes.satisfaction)
    with apart.app_context():
        upgrade()
        made = fixture.build()
        db.session.commit()
        programme = db.session.get(Programme, made.programme_id)
        db.session.expunge(programme)
        db.session.rollback()
        chosen = Scope(programme, START, END)
        elsewhere = dashboard_sections.run(chosen, (), sections, split=True)
        here = dashboard_sections.run(chosen, sections, (), split=False)
        db.session.rollback()
        assert elsewhere == here
        visits, texts, _, _, _, wellbeing, (escalations, usefulness), answers = elsewhere
        assert (visits.done, texts.sent, escalations.total, len(usefulness)) == (6, 4, 5, 2)
        assert (wellbeing.clients_compared, answers.answered) == (2, 3)

        def broken(_scope):
            raise RuntimeError("a section failed")

        with pytest.raises(RuntimeError, match="a section failed"):
            dashboard_sections.run(chosen, (), (dashboard.visits, broken), split=True)
        db.session.remove()
        db.engine.dispose()


def test_sections_never_split_on_the_tests_pinned_connection(made):
    """The tests' uncommitted rows are seen by their one connection only: no helper thread."""
    from outreach.reports import dashboard_sections

    assert not dashboard_sections.may_split()
    assert dashboard.build(scope(made)).visits.done == 6
