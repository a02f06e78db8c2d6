"""The programme report page (charts with their tables) and its CSV download, on the fixture
counted by hand in tests/literacy/test_reports.py."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from outreach.db import db, set_clock
from outreach.literacy.models import Skill, Workshop
from outreach.literacy.services import DEFAULT_SKILLS
from tests.literacy.test_reports import NOW, SKILL_WITH_PUNCTUATION, Fixture, hand_counted


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def fixture(app, world) -> Fixture:
    with app.app_context():
        return hand_counted(world)


def page_of(fixture: Fixture, query: str = "") -> str:
    return f"/programmes/{fixture.programme_id}/literacy-report{query}"


def csv_of(fixture: Fixture, query: str = "") -> str:
    return f"/programmes/{fixture.programme_id}/literacy-report.csv{query}"


def text_of(response) -> str:
    """The page's words, without tags or runs of spaces."""
    words = re.sub(r"<[^>]+>", "", response.get_data(as_text=True))
    return html.unescape(re.sub(r"\s+", " ", words))


def table(body: str, table_id: str) -> list[list[str]]:
    """The rows of one table on the page, each as its cells' text."""
    found = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', body, re.S)
    assert found, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c.replace("<br>", " "))).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_coordinator_sees_the_figures_with_charts_and_tables(fixture, world, login, client):
    login(world.coordinator)
    response = client.get(page_of(fixture))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    words = text_of(response)
    assert "Report: Get Online" in words
    for key, number in (("enrolled", 8), ("waiting", 2), ("offered", 1), ("withdrawn", 1)):
        assert f'id="count-{key}">{number}<' in body
    assert "7 different people" in words
    assert "Overall, 88.2% of the places marked on the registers came" in words
    assert "12 present, 3 late, 2 no-shows, and 2 places not marked" in words
    assert "3 of 8 learners completed (37.5%)" in words
    assert "at least 75% of its sessions that have ended" in words  # the rule, stated
    assert "On average 2.8 at the start and 3.6 at the end: 3 more confident, 1 the same, " \
           "1 less confident" in words

    assert table(body, "attendance-table")[1:] == [  # each workshop named above its sessions
        ["First steps"],
        ["10 Feb 2026 Tue 14:00", "3", "0", "0", "1", "100%"],
        ["17 Feb 2026 Tue 14:00", "2", "1", "1", "0", "75%"],
        ["Phones and health"],
        ["2 Mar 2026 Mon 10:00", "3", "1", "0", "0", "100%"],
        ["9 Mar 2026 Mon 10:00", "2", "0", "1", "0", "66.7%"],
        ["16 Mar 2026 Mon 10:00", "2", "1", "0", "1", "100%"],
    ]
    assert "Mon 16 Mar 2026, 10:00 · Phones and health" in body  # the chart's bar label
    assert table(body, "skills-table")[1:] == [
        ["Use email", "3"], ["Spot a scam", "1"], [SKILL_WITH_PUNCTUATION, "0"],
        ["Use a fax", "1"]]
    assert table(body, "confidence-table")[1:] == [
        ["1 (not at all)", "0", "0"], ["2", "2", "0"], ["3", "2", "3"], ["4", "1", "1"],
        ["5 (very)", "0", "1"]]
    assert table(body, "confidence-changes")[1:] == [
        ["2", "3", "1"], ["2", "4", "1"], ["3", "3", "1"], ["3", "5", "1"], ["4", "3", "1"]]
    assert table(body, "follow-up-table")[1:] == [
        ["Yes, on my own", "1", "25%"], ["Yes, with help", "1", "25%"],
        ["Not yet", "1", "25%"], ["No answer", "1", "25%"]]

    # Three SVG charts, each named for screen readers and placed beside its table.
    charts = re.findall(r'<svg [^>]*class="chart" id="([^"]+)"[^>]*role="img"'
                        r'[^>]*aria-labelledby="([^"]+)"', body)
    assert [c[0] for c in charts] == ["chart-attendance", "chart-skills", "chart-confidence"]
    for chart_id, labelled_by in charts:
        assert labelled_by == f"{chart_id}-title {chart_id}-desc"
        assert f'<title id="{chart_id}-title">' in body and f'<desc id="{chart_id}-desc">' in body
    assert "5 sessions: 12 present, 3 late, 2 no-shows and 2 not marked." in words
    assert f'href="/programmes/{fixture.programme_id}/literacy-report.csv"' in body


def test_bars_are_as_long_as_their_numbers(fixture, world, login, client):
    login(world.admin)
    body = client.get(page_of(fixture)).get_data(as_text=True)
    skills = re.search(r'<svg [^>]*id="chart-skills".*?</svg>', body, re.S).group(0)
    widths = [float(w) for w in re.findall(r'<rect x="0.0" y="[\d.]+" width="([\d.]+)"', skills)]
    # Use email 3, Spot a scam 1, the punctuated skill 0 (no bar), Use a fax 1.
    assert len(widths) == 3
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.2) and widths[1] == widths[2]


def test_dates_narrow_the_report(fixture, world, login, client):
    login(world.coordinator)
    response = client.get(page_of(fixture, "?from=2026-03-01&to=2026-03-15"))
    assert response.status_code == 200
    body, words = response.get_data(as_text=True), text_of(response)
    assert "Workshops with a session from 1 March 2026 to 15 March 2026" in words
    assert len(table(body, "attendance-table")) == 4  # the header, the workshop, A1 and A2
    assert 'id="count-enrolled">4<' in body
    assert 'value="2026-03-01"' in body and 'value="2026-03-15"' in body
    csv_link = f"/programmes/{fixture.programme_id}/literacy-report.csv?from=2026-03-01&amp;" \
               "to=2026-03-15"
    assert csv_link in body
    assert "Nobody has been asked yet" in words


@pytest.mark.parametrize("query", [
    "?from=2026-03-15&to=2026-03-01", "?from=yesterday", "?to=0001-01-01",
    "?from=" + "9" * 3000, "?from=%3Cscript%3E",
])
def test_bad_dates_are_shown_with_the_form(fixture, world, login, client, query):
    login(world.coordinator)
    response = client.get(page_of(fixture, query))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Please check the form" in body and "<script>" not in body
    assert "chart-attendance" not in body  # no figures for dates that make no sense
    assert client.get(csv_of(fixture, query)).status_code == 422


def test_blank_dates_mean_every_date(fixture, world, login, client):
    login(world.coordinator)
    response = client.get(page_of(fixture, "?from=&to="))
    assert response.status_code == 200
    assert "Every workshop of the programme (3)" in text_of(response)


@pytest.mark.parametrize("role, status", [
    ("admin", 200), ("coordinator", 200), ("other_coordinator", 403), ("tutor", 403),
    ("visitor", 403), ("provider", 403)])
def test_who_may_read_the_page(fixture, world, login, client, role, status):
    login(getattr(world, role))
    assert client.get(page_of(fixture)).status_code == status
    assert client.get(csv_of(fixture)).status_code == status


def test_the_other_operator_reads_its_own(fixture, world, login, client):
    login(world.other_coordinator)
    theirs = client.get(f"/programmes/{fixture.other_programme_id}/literacy-report")
    assert theirs.status_code == 200
    assert 'id="count-enrolled">1<' in theirs.get_data(as_text=True)


def test_other_programmes(fixture, world, login, client):
    login(world.coordinator)
    theirs = f"/programmes/{fixture.other_programme_id}/literacy-report"
    assert client.get(theirs).status_code == 403
    assert client.get(theirs + ".csv").status_code == 403
    # A Call & Check programme has no such report; a missing one is not found.
    assert client.get(f"/programmes/{fixture.call_and_check_id}/literacy-report") \
        .status_code == 404
    assert client.get("/programmes/2147483647/literacy-report").status_code == 404
    assert client.get("/programmes/2147483647/literacy-report.csv").status_code == 404


def test_anonymous_is_sent_to_log_in(fixture, client):
    for url in (page_of(fixture), csv_of(fixture)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_empty_programme_says_so(app, world, login, client):
    from tests.literacy import factories as lf

    with app.app_context():
        prog = lf.literacy_programme(world.operator, name="Brand New")
        db.session.commit()
        programme_id = prog.id
    login(world.coordinator)
    response = client.get(f"/programmes/{programme_id}/literacy-report")
    assert response.status_code == 200
    words = text_of(response)
    for said in ("No session has taken place yet.", "No learner has had a session yet.",
                 "No learner has rated their confidence", "Nobody has been asked yet"):
        assert said in words
    rows = list(csv.reader(io.StringIO(
        client.get(f"/programmes/{programme_id}/literacy-report.csv").get_data(as_text=True)
        .lstrip("\ufeff"))))
    assert ["0", "0", "0", "0", "0"] in rows  # the learners row, all zeros
    # The default checklist, nobody seen doing any of it yet.
    assert [[name, "0"] for name in DEFAULT_SKILLS] == [row for row in rows
                                                      if row and row[0] in DEFAULT_SKILLS]
    with app.app_context():
        for skill in db.session.scalars(db.select(Skill).where(Skill.programme_id == programme_id)):
            skill.active = False  # the coordinator retired the whole checklist
        db.session.commit()
    words = text_of(client.get(f"/programmes/{programme_id}/literacy-report"))
    assert "No skill on the programme's checklist is in use." in words


def test_titles_and_names_are_escaped(fixture, app, world, login, client):
    with app.app_context():
        workshop = db.session.get(Workshop, fixture.workshop_a)
        workshop.title = '<img src=x onerror=alert(1)> & "quotes"'
        db.session.get(Skill, db.session.scalar(db.select(Skill.id).where(
            Skill.name == "Use email"))).name = "</svg><script>alert(1)</script>"
        db.session.commit()
    login(world.coordinator)
    body = client.get(page_of(fixture)).get_data(as_text=True)
    assert "<img src=x" not in body and "<script>alert" not in body
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;" in body
    assert body.count("</svg>") == 3


# --- The CSV ------------------------------------------------------------------------------


def sections(text: str) -> dict[str, list[list[str]]]:
    """The CSV's sections by title: the title row, then the header and rows, then a blank."""
    found, current = {}, None
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        if not row:
            current = None
        elif current is None:
            current = found.setdefault(row[0], [])
        else:
            current.append(row)
    return found


def test_csv_has_every_table(fixture, world, login, client):
    login(world.coordinator)
    response = client.get(csv_of(fixture))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="get-online-report.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so spreadsheet programs read it as UTF-8
    parts = sections(text)
    assert list(parts) == ["Report", "Learners", "Attendance by session", "Attendance overall",
                           "Completion", "Skills gained", "Confidence", "Confidence scores",
                           "Confidence changes", "Follow-up"]
    assert parts["Report"][1][:4] == ["Get Online", "", "", "3"]
    assert parts["Learners"][1] == ["8", "2", "1", "1", "7"]
    assert parts["Attendance by session"][0][-5:] == ["Present", "Late", "No-show",
                                                      "Not marked", "Attended %"]
    assert [r[1:3] + r[4:] for r in parts["Attendance by session"][1:]] == [
        ["First steps", "2026-02-10T14:00+00:00", "3", "0", "0", "1", "100.0"],
        ["First steps", "2026-02-17T14:00+00:00", "2", "1", "1", "0", "75.0"],
        ["Phones and health", "2026-03-02T10:00+00:00", "3", "1", "0", "0", "100.0"],
        ["Phones and health", "2026-03-09T10:00+00:00", "2", "0", "1", "0", "66.7"],
        ["Phones and health", "2026-03-16T10:00+00:00", "2", "1", "0", "1", "100.0"],
    ]
    assert parts["Attendance overall"][1] == ["12", "3", "2", "2", "88.2"]
    assert parts["Completion"][1][:3] == ["8", "3", "37.5"]
    assert parts["Skills gained"][1:] == [["Use email", "3"], ["Spot a scam", "1"],
                                          [SKILL_WITH_PUNCTUATION, "0"], ["Use a fax", "1"]]
    assert parts["Confidence"][1] == ["5", "2.8", "3.6", "3", "1", "1"]
    assert parts["Confidence scores"][1:] == [["1", "0", "0"], ["2", "2", "0"],
                                              ["3", "2", "3"], ["4", "1", "1"], ["5", "0", "1"]]
    assert parts["Confidence changes"][1:] == [["2", "3", "1"], ["2", "4", "1"],
                                               ["3", "3", "1"], ["3", "5", "1"],
                                               ["4", "3", "1"]]
    assert parts["Follow-up"] == [["Asked", "Yes, on my own", "Yes, with help", "Not yet",
                                   "No answer"], ["4", "1", "1", "1", "1"]]
    # Commas and quotes are quoted as CSV quotes them.
    assert '"Book a ""GP"" appointment, online",0' in text


def test_csv_dates_and_formulas(fixture, app, world, login, client):
    with app.app_context():
        db.session.get(Workshop, fixture.workshop_a).title = "=HYPERLINK(\"http://x\",\"y\")"
        db.session.commit()
    login(world.admin)
    text = client.get(csv_of(fixture, "?from=2026-03-01&to=2026-03-15")).get_data(as_text=True)
    parts = sections(text)
    assert parts["Report"][1][1:4] == ["2026-03-01", "2026-03-15", "1"]
    titles = {row[1] for row in parts["Attendance by session"][1:]}
    # A spreadsheet would run it as a formula: it is shown as text instead.
    assert titles == {"'=HYPERLINK(\"http://x\",\"y\")"}
