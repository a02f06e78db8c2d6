"""The partner report pages, PDF and CSV; the list of partners; who may open which; the CLI."""

from __future__ import annotations

import re
import zlib

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.escalations.models import Escalation
from outreach.organisations.models import Organisation
from tests.reports import partner_fixture as fixture

SECRETS = ("Zofia", "zofia", "Kowalczyk", "KOWALCZYK", "Brzęczyszczykiewicz", "900555")


@pytest.fixture
def month(app, world):
    with app.app_context():
        made = fixture.build(world)
        db.session.commit()
        return made


def _url(org, month="2026-03", suffix=""):
    return f"/evaluation/partners/{org.id}/{month}{suffix}"


def pdf_text(data: bytes) -> str:
    """The text of a PDF made by fpdf2: each shown string decoded through its font's
    ToUnicode map (fpdf2 shows glyph numbers, two bytes each, not letters)."""
    objects = {}
    for number, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S):
        # A stream is /Length bytes after "stream" and its line end: compressed bytes may end
        # in a carriage return of their own, so the end marker cannot be trusted to find it.
        stream = re.search(rb"/Length (\d+).*?stream\r?\n", body, re.S)
        content = body[stream.end():stream.end() + int(stream[1])] if stream else b""
        if stream and b"/FlateDecode" in body:
            content = zlib.decompress(content)
        objects[int(number)] = (body, content)
    maps, names = {}, {}
    for number, (body, _) in objects.items():
        unicode_map = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if unicode_map:
            pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", objects[int(unicode_map[1])][1])
            maps[number] = {int(g, 16): bytes.fromhex(u.decode()).decode("utf-16-be")
                            for g, u in pairs}
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            names[name] = int(ref)
    shown = []
    for _, content in objects.values():
        font = None
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            if token[1]:
                font = maps.get(names.get(token[1]), {})
                continue
            raw = re.sub(rb"\\([()\\])", rb"\1", token[2])
            raw = raw.replace(b"\\r", b"\r").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
            shown.append("".join(font.get(int.from_bytes(raw[i:i + 2], "big"), "?")
                                 for i in range(0, len(raw) - 1, 2)))
    return "\n".join(shown)


def test_coordinator_reads_the_report_page(month, world, login, client):
    login(world.coordinator)
    page = client.get(_url(month.gp))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Partner report: Test GP Practice" in html and "March 2026" in html
    assert "6 escalations received, 3 acknowledged in time, 3 resolved, 3 still open" in html
    assert '<td class="num">50%</td>' in html and '<td class="num">33.3%</td>' in html
    assert "Saw [client] at home; called [client] twice." in html
    assert 'media="print"' in html and "print.css" in html
    assert 'id="chart-months"' in html
    for secret in SECRETS:
        assert secret not in html
    with client.application.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "partner_report.read")).all()
    assert [(e.actor_id, e.detail) for e in events] == [
        (world.coordinator.id, {"month": "2026-03", "format": "html"})]


def test_the_pdf_opens_and_holds_the_figures(month, world, login, client):
    login(world.coordinator)
    response = client.get(_url(month.gp, suffix=".pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "test-gp-practice-2026-03.pdf" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    assert "Partner report: Test GP Practice" in text
    for figure in ("Received", "Acknowledged in time (%)", "50%", "33.3%", "108",
                   "Saw [client] at home; called [client] twice.", "February 2026"):
        assert figure in text, figure
    for secret in SECRETS:
        assert secret not in text


def test_the_pdf_prints_polish_and_portuguese_letters(month, world, login, client, app):
    with app.app_context():
        db.session.get(Organisation, month.food_bank.id).name = "Łódź Pomoc São Tomé"
        db.session.commit()
    login(world.coordinator)
    text = pdf_text(client.get(_url(month.food_bank, suffix=".pdf")).get_data())
    assert "Partner report: Łódź Pomoc São Tomé" in text


def test_the_csv_holds_each_table(month, world, login, client):
    login(world.coordinator)
    response = client.get(_url(month.gp, suffix=".csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffPartner report\r\n")
    assert "Received,6,1\r\n" in text
    assert "Acknowledged in time (%),50.0,0.0\r\n" in text
    assert "Hours to resolve: 90th percentile,108.0,6.0\r\n" in text
    assert "Usefulness: mean (1 to 5),4.0,2.0\r\n" in text
    assert "Urgent,2\r\n" in text and "5: very useful,1\r\n" in text
    for secret in SECRETS:
        assert secret not in text


def test_the_list_shows_each_partner_with_its_month(month, world, login, client):
    login(world.coordinator)
    page = client.get("/evaluation/partners?month=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Test GP Practice" in html and "Test Food Bank" in html
    assert f'href="{_url(month.gp)}"' in html
    assert "6 (1)" in html  # received this month (the month before)
    assert "Download the extract" in html


@pytest.mark.parametrize("bad", ["2026-13", "abc", "2999-01", "<script>", "2026-03%00"])
def test_a_bad_month_in_the_list_is_a_422(bad, month, world, login, client):
    login(world.coordinator)
    page = client.get("/evaluation/partners", query_string={"month": bad})
    assert page.status_code == 422
    assert "<script>" not in page.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["2026-13", "abc", "2999-01", "1999-12", "2026-3"])
@pytest.mark.parametrize("suffix", ["", ".pdf", ".csv"])
def test_a_bad_month_in_the_address_is_a_404(bad, suffix, month, world, login, client):
    login(world.coordinator)
    assert client.get(_url(month.gp, bad, suffix)).status_code == 404


def test_a_missing_organisation_is_a_404(month, world, login, client):
    login(world.admin)
    assert client.get("/evaluation/partners/2147483647/2026-03").status_code == 404


def test_a_provider_reads_its_own_report_across_programmes(month, world, login, client):
    login(world.provider)
    html = client.get(_url(month.gp)).get_data(as_text=True)
    assert "7 escalations received" in html
    assert "Every escalation sent to your organisation" in html
    listing = client.get("/evaluation/partners?month=2026-03")
    assert listing.status_code == 302
    assert listing.headers["Location"].endswith(_url(month.gp))


@pytest.mark.parametrize("suffix", ["", ".pdf", ".csv"])
def test_a_provider_cannot_read_another_organisations_report(suffix, month, world, login,
                                                             client):
    login(world.provider)
    assert client.get(_url(month.food_bank, suffix=suffix)).status_code == 403
    with client.application.app_context():
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "partner_report.denied")).all()
    assert [(e.actor_id, e.detail["organisation_id"]) for e in refused] == [
        (world.provider.id, month.food_bank.id)]


def test_the_other_operators_coordinator_sees_only_their_programmes(month, world, login,
                                                                     client):
    login(world.other_coordinator)
    html = client.get(_url(month.gp)).get_data(as_text=True)
    assert "1 escalation received" in html
    # Another operator's own queue is not theirs to report on.
    assert client.get(_url(month.operator)).status_code == 403
    assert client.get(_url(month.other_operator)).status_code == 200


@pytest.mark.parametrize("role", ["visitor", "tutor"])
def test_visitors_and_tutors_are_refused(role, month, world, login, client):
    login(getattr(world, role))
    assert client.get(_url(month.gp)).status_code == 403
    assert client.get("/evaluation/partners").status_code == 403


def test_not_logged_in_goes_to_the_login_page(month, client):
    response = client.get(_url(month.gp, suffix=".pdf"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("kind", ["pdf", "csv", "html"])
def test_the_command_writes_the_report(kind, month, app, tmp_path):
    output = tmp_path / f"report.{kind}"
    result = app.test_cli_runner().invoke(args=[
        "outreach", "partner-report", "--organisation", "Test GP Practice", "--month",
        "2026-03", "--format", kind, "--output", str(output),
        "--operator", "Test Post Call & Check"])
    assert result.exit_code == 0, result.output
    data = output.read_bytes()
    assert output.stat().st_mode & 0o077 == 0
    text = pdf_text(data) if kind == "pdf" else data.decode("utf-8-sig")
    assert "Received" in text and "by Test Post Call" in text
    for secret in SECRETS:
        assert secret not in text
    if kind == "html":
        assert "<style>" in text and "Saw [client] at home" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--organisation", "Nobody Such", "--month", "2026-03"], "No organisation called"),
    (["--organisation", "Test GP Practice", "--month", "2026-13"], "YYYY-MM"),
    (["--organisation", "Test GP Practice", "--month", "2026-03", "--operator", "Nope"],
     "No operator called"),
])
def test_the_command_refuses_bad_arguments(args, message, month, app, tmp_path):
    result = app.test_cli_runner().invoke(args=[
        "outreach", "partner-report", *args, "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_an_organisation_name_shared_by_nobody_else_is_found_by_id(month, app, tmp_path):
    result = app.test_cli_runner().invoke(args=[
        "outreach", "partner-report", "--organisation", str(month.gp.id), "--month", "2026-02",
        "--format", "csv", "--output", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "Received,1,0" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")



RELATIVES_DETAILS = ("Rang her son on +44 7700 900123 and emailed piotr.nowak@example.pl; "
                     "he moved to 4 Rue des Prés, St Helier JE2 3AB. Gave 3 tablets at 14:30.")


@pytest.mark.parametrize("suffix", [".csv", ".pdf"])
def test_a_relatives_number_email_and_postcode_never_reach_the_report(month, world, login,
                                                                      client, app, suffix):
    with app.app_context():
        escalation = db.session.scalars(select(Escalation).where(
            Escalation.organisation_id == month.gp.id, Escalation.outcome_note != "")
            .order_by(Escalation.resolved_at)).first()
        escalation.outcome_note = RELATIVES_DETAILS
        db.session.commit()
    login(world.coordinator)
    data = client.get(_url(month.gp, suffix=suffix)).get_data()
    text = pdf_text(data) if suffix == ".pdf" else data.decode()

    assert ("Rang her son on [phone] and emailed [email]; he moved to 4 Rue des Prés, "
            "St Helier [postcode]. Gave 3 tablets at 14:30.") in " ".join(text.split())
    for secret in ("7700", "900123", "piotr.nowak", "example.pl", "JE2"):
        assert secret not in text
