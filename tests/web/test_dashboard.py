"""The coordinator's dashboard and the visitor's "Your concerns" page, over HTTP."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.jobs.tick import run_jobs
from outreach.people.models import Client
from outreach.reports.views import dashboard as dashboard_views
from outreach.rounds.models import Round
from outreach.visits import round_counts
from outreach.visits.schedule import due_clients
from tests import factories
from tests.conftest import counted


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_afterwards():
    yield
    set_clock(None)


MONDAY = "2025-03-03T12:00:00+00:00"


@pytest.fixture
def day_on_round(app, world):
    """Monday 3 March: two clients due on the round, one already visited."""
    set_clock(at("2025-03-03T08:00:00+00:00"))
    with app.app_context():
        first = db.session.get(Client, world.client_on_round.id)
        second = factories.client(first.programme, round_id=world.round.id, walk_order=2,
                                  full_name="Second Stop")
        for c in (first, second):
            factories.visit_plan(c, "daily", starts_on=date(2025, 3, 3))
        factories.visit(first, world.visitor, visited_at=at("2025-03-03T10:00:00+00:00"))
        db.session.commit()
        return {"first": first.id, "second": second.id, "second_name": second.full_name}


def page(client, path="/dashboard/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_todays_rounds_show_progress_and_who_walks(app, world, client, login, day_on_round):
    login(world.coordinator)
    set_clock(at(MONDAY))
    text = page(client)
    assert "St Helier North" in text
    assert "1 of 2 visits done, 1 still to do" in text
    assert '<progress id="progress-' in text and 'max="2" value="1"' in text
    assert f"Walked by {world.visitor.full_name}" in text
    with app.app_context():
        factories.cover(db.session.get(Round, world.round.id), world.other_visitor,
                        date(2025, 3, 3), date(2025, 3, 3))
        db.session.commit()
    text = page(client)
    assert f"Walked by {world.other_visitor.full_name} (covering)" in text


@pytest.fixture
def kept_counts(app):
    """Counts kept for 15 s, as in production, starting from none."""
    app.config["DASHBOARD_COUNT_SECONDS"] = 15
    app.extensions.pop("dashboard_counts", None)
    yield
    app.config["DASHBOARD_COUNT_SECONDS"] = 0
    app.extensions.pop("dashboard_counts", None)


def visit_second_stop(app, world, day_on_round):
    with app.app_context():
        second = db.session.get(Client, day_on_round["second"])
        factories.visit(second, world.visitor, visited_at=at("2025-03-03T11:59:00+00:00"))
        db.session.commit()


def test_each_process_keeps_its_count_and_counts_again_once_the_stale_page_is_sent(
        app, world, client, login, day_on_round, kept_counts):
    login(world.coordinator)
    set_clock(at("2025-03-03T12:00:00+00:00"))
    assert "1 of 2 visits done" in page(client)
    assert "(counted at 12:00:00)" in page(client)  # Jersey is on GMT in March
    visit_second_stop(app, world, day_on_round)
    set_clock(at("2025-03-03T12:00:14+00:00"))
    text = page(client)
    assert "1 of 2 visits done" in text and "(counted at 12:00:00)" in text
    # Past the keeping time: the coordinator is not kept waiting for a count. The page shows
    # the kept one, and the process counts again once the server has sent the page.
    set_clock(at("2025-03-03T12:00:15+00:00"))
    stale = client.get("/dashboard/")
    text = stale.get_data(as_text=True)
    assert "1 of 2 visits done" in text and "(counted at 12:00:00)" in text
    set_clock(at("2025-03-03T12:00:16+00:00"))
    stale.close()
    text = page(client)
    assert "2 of 2 visits done" in text and "(counted at 12:00:16)" in text


def test_a_count_too_old_to_show_is_made_again_before_the_page(
        app, world, client, login, day_on_round, kept_counts):
    login(world.coordinator)
    set_clock(at("2025-03-03T12:00:00+00:00"))
    assert "1 of 2 visits done" in page(client)
    visit_second_stop(app, world, day_on_round)
    # After a quiet minute (four keeping times) the kept count is not shown at all.
    set_clock(at("2025-03-03T12:01:00+00:00"))
    text = page(client)
    assert "2 of 2 visits done" in text and "(counted at 12:01:00)" in text


def test_a_count_that_fails_after_the_page_is_logged_and_tried_again(
        app, world, client, login, day_on_round, kept_counts, monkeypatch, caplog):
    login(world.coordinator)
    set_clock(at("2025-03-03T12:00:00+00:00"))
    assert "1 of 2 visits done" in page(client)
    visit_second_stop(app, world, day_on_round)

    def database_gone(programme_ids, now):
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    set_clock(at("2025-03-03T12:00:20+00:00"))
    with monkeypatch.context() as patched:
        patched.setattr(round_counts, "count", database_gone)
        stale = client.get("/dashboard/")
        assert stale.status_code == 200 and "(counted at 12:00:00)" in stale.get_data(as_text=True)
        stale.close()
    assert "Counting the rounds' progress again for the dashboard failed" in caplog.text
    assert world.client_on_round.full_name not in caplog.text
    stale = client.get("/dashboard/")
    assert "(counted at 12:00:00)" in stale.get_data(as_text=True)  # still the kept count
    stale.close()
    text = page(client)
    assert "2 of 2 visits done" in text and "(counted at 12:00:20)" in text


def test_no_answer_turns_red_once_past_the_window(app, world, client, login, day_on_round):
    set_clock(at("2025-03-03T10:00:00+00:00"))
    with app.app_context():
        second = db.session.get(Client, day_on_round["second"])
        unanswered = factories.visit(second, world.visitor, outcome="no_answer")
        factories.need(second, "no_answer", "urgent", "system", visit_id=unanswered.id)
        db.session.commit()
    login(world.coordinator)
    set_clock(at("2025-03-03T11:59:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert "No answer 1 h 59 min ago (at 10:00 on 3 March)" in text
    assert 'class="flagged"' not in text and "With the designated contacts" in text
    set_clock(at("2025-03-03T12:01:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert 'class="flagged"' in text
    assert "the coordinator needs to act now" in text
    assert f'href="/clients/{day_on_round["second"]}"' in text


def test_missed_visits_and_clients_not_seen_are_listed(app, world, client, login,
                                                       day_on_round):
    set_clock(at("2025-03-04T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    login(world.coordinator)
    text = page(client)
    assert "Missed visits in the last week (1)" in text  # Monday's second stop
    assert "Visit due 3 March 2025 · St Helier North" in text
    assert "Everyone has been seen as their plan expects." in text
    set_clock(at("2025-03-07T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    text = page(client)
    assert "Clients not seen for too long (2)" in text
    assert "Not seen since the plan began" in text
    assert "Not seen since Monday 3 March 2025" in text
    with app.app_context():
        listed = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.coordinator.id)))
    assert {day_on_round["first"], day_on_round["second"]} <= listed


def test_other_operator_sees_nothing_of_ours(app, world, client, login, day_on_round):
    set_clock(at("2025-03-04T12:00:00+00:00"))
    with app.app_context():
        run_jobs()
    login(world.other_coordinator)
    text = page(client)
    assert "St Helier North" not in text
    assert day_on_round["second_name"] not in text
    assert world.client_on_round.full_name not in text
    assert "No visits were missed in the last week." in text


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_only_coordinators_and_admins_get_the_dashboard(role, world, client, login):
    login(getattr(world, role))
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert "St Helier North" not in response.get_data(as_text=True)


def test_admin_sees_every_operator(app, world, client, login, day_on_round):
    login(world.admin)
    set_clock(at(MONDAY))
    with app.app_context():
        foreign = db.session.get(Client, world.foreign_client.id)
        factories.need(foreign, "no_answer", "urgent", "system")
        db.session.commit()
    assert foreign.full_name in page(client)


def test_visitor_sees_what_became_of_their_concerns(app, world, client, login):
    set_clock(at("2025-03-03T10:00:00+00:00"))
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        mine = factories.visit(on, world.visitor, outcome="seen_concern")
        factories.need(on, "food_or_shopping", visit_id=mine.id, description="Cupboards empty")
        factories.need(on, "home_or_heating", visit_id=mine.id, description="Heating broken",
                       flagged_at=at("2025-03-03T13:00:00+00:00"))
        factories.need(on, "transport", visit_id=mine.id, description="Needs a lift",
                       status="resolved", resolved_at=at("2025-03-04T09:00:00+00:00"),
                       resolution="Lift booked with the community bus")
        theirs = factories.visit(on, world.other_visitor, outcome="seen_concern")
        factories.need(on, "loneliness", visit_id=theirs.id, description="Feels alone")
        db.session.commit()
    login(world.visitor)
    text = page(client, "/dashboard/my-concerns")
    assert "Food or shopping: Cupboards empty" in text
    assert "Open</span>: Waiting for someone to act on it" in text
    assert "Acted on</span>: Passed to the coordinator at 13:00 on 3 March" in text
    assert "Resolved</span>: Lift booked with the community bus (09:00 on 4 March)" in text
    assert "From your visit on 3 March 2025" in text
    assert "Feels alone" not in text


def test_my_concerns_is_empty_for_someone_without_visits(world, client, login):
    login(world.other_visitor)
    assert "No concerns have been raised from your visits yet." in page(
        client, "/dashboard/my-concerns")


def test_providers_have_no_concerns_page(world, client, login):
    login(world.provider)
    assert client.get("/dashboard/my-concerns").status_code == 403


# --- Today's rounds at national scale: a summary, then a page of rounds --------------------


def _round_with(world, name: str, due: int, done: int, **kw) -> Round:
    """A round running Monday to Friday with `due` daily clients, `done` of them visited."""
    programme = db.session.merge(world.programme)
    made = factories.round_(programme, world.visitor, name=name, **kw)
    for n in range(due):
        person = factories.client(programme, round_id=made.id, walk_order=n + 1)
        factories.visit_plan(person, "daily", starts_on=date(2025, 1, 6))
        if n < done:
            factories.visit(person, world.visitor, visited_at=at("2025-03-03T09:00:00+00:00"))
    return made


def _shown_rounds(text: str) -> list[str]:
    listing = text.split('id="rounds"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<strong>([^<]*)</strong>", listing)


@pytest.fixture
def many_rounds(app, world, monkeypatch):
    """Eight rounds on Monday 3 March, pages of three: Hamptonne has most still to do."""
    monkeypatch.setattr(dashboard_views, "ROUNDS_PER_PAGE", 3)
    set_clock(at(MONDAY))
    plan = {"Anneville": (2, 2), "Bagatelle": (3, 1), "Carrefour": (1, 0),
            "Devonshire": (4, 4), "Ecréhous": (5, 2), "Faldouet": (2, 1),
            "Gorey Pier": (0, 0), "Hamptonne": (6, 0)}
    with app.app_context():
        for name, (due, done) in plan.items():
            _round_with(world, name, due, done, area="Grouville" if name < "C" else "")
        db.session.commit()
    return plan


def test_the_summary_counts_every_round_running_today(world, client, login, many_rounds):
    login(world.coordinator)
    text = page(client)
    # Eight new rounds and St Helier North (nobody due on it): 23 due, 10 done.
    assert "<strong>9 rounds today</strong>: 23 visits due, 10 done, 13 still to do <span" in text
    assert "Rounds 1 to 3 of 9, those with the most visits still to do first." in text


def test_rounds_with_most_still_to_do_come_first_and_the_rest_are_paged(world, client,
                                                                         login, many_rounds):
    login(world.coordinator)
    first = page(client)
    assert _shown_rounds(first) == ["Hamptonne", "Ecréhous", "Bagatelle"]
    assert '<a href="/dashboard/?page=2" rel="next">Next rounds</a>' in first
    assert "Previous rounds" not in first and "Page 1 of 3." in first
    second = page(client, "/dashboard/?page=2")
    assert _shown_rounds(second) == ["Carrefour", "Faldouet", "Anneville"]
    assert "Rounds 4 to 6 of 9" in second and 'href="/dashboard/?page=1" rel="prev"' in second
    last = page(client, "/dashboard/?page=3")
    # Nothing left to do: in name order, the round nobody is due on included.
    assert _shown_rounds(last) == ["Devonshire", "Gorey Pier", "St Helier North"]
    assert "4 of 4 visits done, 0 still to do" in last
    assert "Nobody is due a visit today." in last and "Next rounds" not in last
    # The other lists are on every page.
    assert "No answer at the door" in last and "Missed visits in the last week" in last


def test_a_round_is_found_by_part_of_its_name_or_area(world, client, login, many_rounds):
    login(world.coordinator)
    text = page(client, "/dashboard/?round=PIER")
    assert _shown_rounds(text) == ["Gorey Pier"]
    assert "1 round matching “PIER”" in text and 'value="PIER"' in text
    text = page(client, "/dashboard/?round=grouville")
    assert _shown_rounds(text) == ["Bagatelle", "Anneville"]
    # The summary still covers the whole day.
    assert "<strong>9 rounds today</strong>" in text
    text = page(client, "/dashboard/?round=CR%C3%89H")  # "CRÉH": accents kept, case not
    assert _shown_rounds(text) == ["Ecréhous"]


def test_the_search_is_kept_across_pages(world, client, login, many_rounds):
    login(world.coordinator)
    text = page(client, "/dashboard/?round=a")  # 5 of the 9 names have an "a"
    assert _shown_rounds(text) == ["Hamptonne", "Bagatelle", "Carrefour"]
    assert 'href="/dashboard/?round=a&amp;page=2" rel="next"' in text
    text = page(client, "/dashboard/?round=a&page=2")
    assert _shown_rounds(text) == ["Faldouet", "Anneville"]
    assert "Rounds 4 to 5 of 5 matching “a”" in text
    assert 'href="/dashboard/?round=a&amp;page=1" rel="prev"' in text


@pytest.mark.parametrize("query", [
    "page=abc", "page=-4", "page=0", "page=99999999999999999999", "page=", "page=1.5",
])
def test_a_bad_page_number_shows_a_page_that_exists(world, client, login, many_rounds, query):
    login(world.coordinator)
    shown = _shown_rounds(page(client, f"/dashboard/?{query}"))
    assert shown in (["Hamptonne", "Ecréhous", "Bagatelle"],
                     ["Devonshire", "Gorey Pier", "St Helier North"])


@pytest.mark.parametrize("search", [
    "' OR 1=1 --", "%", "_", "<script>alert(1)</script>", "x" * 5000, "\u0000", "🚌",
])
def test_odd_searches_find_nothing_and_are_shown_safely(world, client, login, many_rounds,
                                                        search):
    login(world.coordinator)
    response = client.get("/dashboard/", query_string={"round": search})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'id="rounds"' not in text and "Show every round" in text
    assert "<script>alert" not in text
    assert "<strong>9 rounds today</strong>" in text


@pytest.mark.parametrize(("who", "found"), [("other_coordinator", ["Hamptonne Elsewhere"]),
                                             ("coordinator", ["Hamptonne"])])
def test_another_operators_rounds_are_never_found(app, world, client, login, many_rounds, who,
                                                  found):
    with app.app_context():
        factories.round_(db.session.merge(world.other_programme), name="Hamptonne Elsewhere")
        db.session.commit()
    login(getattr(world, who))
    text = page(client, "/dashboard/?round=Hamptonne")
    assert _shown_rounds(text) == found
    assert ("<strong>1 round today</strong>" in text) == (who == "other_coordinator")


def _busy_rounds(app, world, first: int, count: int) -> None:
    """Rounds each with clients due, one visited, one covered by the other visitor."""
    with app.app_context():
        for n in range(first, first + count):
            made = _round_with(world, f"Busy {n:02}", 2, 1)
            factories.cover(made, db.session.merge(world.other_visitor), date(2025, 3, 3),
                            date(2025, 3, 3))
        db.session.commit()


def test_the_page_reads_as_much_for_2_rounds_as_for_12(app, world, client, login):
    set_clock(at(MONDAY))
    login(world.coordinator)
    _busy_rounds(app, world, 0, 2)
    page(client)  # the first page of a session reads the user and the templates once
    with counted(app) as statements:
        text = page(client)
    few = len(statements)
    assert text.count("(covering)") == 2
    _busy_rounds(app, world, 2, 10)
    with counted(app) as statements:
        text = page(client)
    assert text.count("(covering)") == 12 and text.count("1 of 2 visits done") == 12
    assert len(statements) == few, statements


def test_a_hundred_rounds_to_a_page(app, world, client, login):
    set_clock(at(MONDAY))
    with app.app_context():
        programme = db.session.merge(world.programme)
        for n in range(101):
            factories.round_(programme, world.visitor, name=f"Parish round {n:03}")
        db.session.commit()
    login(world.coordinator)
    text = page(client)
    assert len(_shown_rounds(text)) == 100 and "Rounds 1 to 100 of 102" in text
    assert _shown_rounds(page(client, "/dashboard/?page=2")) == [
        "Parish round 100", "St Helier North"]


def _random_day(world, rng: random.Random) -> list[int]:
    """Rounds on different days of the week with every kind of plan, some ended, not begun,
    paused or covered, and visits on some days: what the counts must agree with."""
    programme = db.session.merge(world.programme)
    round_ids = []
    for weekdays in ("1,2,3,4,5", "2,4", "1", "6,7", ""):
        made = factories.round_(programme, world.visitor, weekdays=weekdays)
        round_ids.append(made.id)
        for n in range(12):
            person = factories.client(programme, round_id=made.id, walk_order=n)
            frequency = rng.choice(["daily", "weekdays", "weekly", "fortnightly"])
            days = {"daily": "", "weekdays": rng.choice(["1,3,5", "2,4", ""]),
                    "weekly": rng.choice(["1", "3", ""]),
                    "fortnightly": rng.choice(["1", "2", ""])}[frequency]
            starts = date(2025, 2, 24) + timedelta(days=rng.randint(0, 10))
            ends = starts + timedelta(days=rng.randint(0, 12)) if rng.random() < 0.3 else None
            factories.visit_plan(person, frequency, days, starts_on=starts, ends_on=ends)
            if rng.random() < 0.2:
                begins = date(2025, 3, 1) + timedelta(days=rng.randint(0, 6))
                factories.pause(person, begins, begins + timedelta(days=rng.randint(0, 3)))
            for day_ in range(3, 8):
                if rng.random() < 0.3:
                    factories.visit(person, world.visitor,
                                    visited_at=at(f"2025-03-{day_:02}T10:00:00+00:00"))
    return round_ids


def test_each_rounds_counts_agree_with_its_due_list_day_after_day(app, world, client, login):
    with app.app_context():
        round_ids = _random_day(world, random.Random(3))
        db.session.commit()
    login(world.coordinator)
    checked = 0
    for day_ in range(3, 10):  # Monday 3 to Sunday 9 March 2025
        on = date(2025, 3, day_)
        set_clock(at(f"{on.isoformat()}T12:00:00+00:00"))
        text = page(client, "/dashboard/?round=Round")
        with app.app_context():
            for round_id in round_ids:
                round_ = db.session.get(Round, round_id)
                due = due_clients(round_, on)
                done = sum(stop.done for stop in due)
                runs = on.isoweekday() in round_.weekday_list
                if due:
                    assert (f'<label for="progress-{round_id}">{done} of {len(due)} visits done'
                            in text), (on, round_.name)
                    checked += 1
                else:
                    assert (f'<strong>{round_.name}</strong>' in text) == runs, (on, round_.name)
    assert checked > 15  # the data set really did have rounds with visits due
