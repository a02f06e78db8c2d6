"""Outbound templates: four languages with the same fields, natural dates, segment budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from channels.sms import segments
from outreach.enums import Language
from outreach.messages.template_cli import rendered_samples, sample_values
from outreach.messages.texts import TEXTS, dates, fields_of, outbound, render

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH
OUTBOUND = sorted(outbound.TEXTS)
# Sent to the client's own phone; the rest go to designated contacts.
CLIENT_FACING = {"check_in", "appointment_day_before", "appointment_soon",
                 "prescription_on_its_way", "prescription_on_its_way_unnamed",
                 "workshop_reminder", "outcome", "outcome_unnamed", "workshop_reminder_today",
                 "workshop_place_offered", "workshop_no_show", "workshop_no_show_last",
                 "workshop_follow_up"}


def test_every_text_the_jobs_and_notices_send_is_there():
    expected = CLIENT_FACING | {f"visit_report_{o}" for o in (
        "seen_well", "seen_concern", "no_answer", "declined", "away")} | {
        f"alert_{c}" for c in ("fall", "no_answer", "no_response")}
    assert expected <= set(outbound.TEXTS)


@pytest.mark.parametrize("key", OUTBOUND)
def test_each_template_exists_in_four_languages_with_the_same_fields(key):
    versions = outbound.TEXTS[key]
    assert set(versions) == set(Language)
    fields = {language: fields_of(text) for language, text in versions.items()}
    assert all(found == fields[EN] for found in fields.values()), fields


@pytest.mark.parametrize("key", OUTBOUND)
@pytest.mark.parametrize("language", list(Language))
def test_each_renders_with_sample_values(key, language):
    body = render(key, language, **sample_values(language))
    assert body and "{" not in body and "}" not in body and "<" not in body
    assert "Margaret" in body


def test_texts_to_contacts_carry_only_the_clients_first_name_a_time_and_a_kind_of_need():
    for key, versions in outbound.TEXTS.items():
        if key.startswith(("visit_report_", "alert_")):
            for text in versions.values():
                assert fields_of(text) <= {"client_first_name", "when", "what"}, key


def test_the_workshop_reminder_is_ready_for_the_workshop_feature():
    body = render("workshop_reminder", FR, first_name="Colette", workshop="Get Online",
                  day=dates.day(date(2026, 3, 3), FR), time=dates.clock(time(14, 0), FR),
                  place="Bibliothèque de St Helier")
    assert body == ("Bonjour Colette, rappel : Get Online le mardi 3 mars à 14h, Bibliothèque "
                    "de St Helier. Nous vous attendons !")


def test_which_renderings_need_more_than_one_segment():
    long = sorted((key, language.value, parts.count) for key, language, _, parts
                  in rendered_samples() if key in outbound.TEXTS and not parts.single)
    # Polish and Portuguese letters outside the GSM alphabet make a text UCS-2 (70 characters
    # a segment): most of those take two. Known and accepted; the list makes a change visible.
    assert {language for _, language, _ in long} <= {"pt", "pl"}
    assert all(count == 2 for *_, count in long)
    english = [(key, parts) for key, language, _, parts in rendered_samples()
               if key in outbound.TEXTS and language == EN]
    assert {key for key, _ in english} == set(outbound.TEXTS)
    assert all(parts.single and parts.encoding == segments.GSM7 for _, parts in english)


def test_client_facing_english_texts_fit_one_segment_even_with_long_names():
    values = sample_values(EN) | {"first_name": "Jean-Christophe",
                                  "pharmacy": "Maison Verte Medical Practice Pharmacy"}
    for key in CLIENT_FACING - {"appointment_day_before", "appointment_soon",
                                "workshop_reminder", "outcome", "outcome_unnamed"}:
        assert segments.count(render(key, EN, **values)).single, key


def test_the_french_samples_stay_in_the_gsm_alphabet():
    # é, è and à are GSM characters; a stray ç, ê or À would double the price of every text.
    # (Only "août" cannot be helped: French texts dated in August are UCS-2.)
    french = [(key, parts) for key, language, _, parts in rendered_samples()
              if key in outbound.TEXTS and language == FR]
    assert {parts.encoding for _, parts in french} == {segments.GSM7}


def test_the_cli_prints_every_rendering_and_warns_about_long_ones(app):
    result = app.test_cli_runner().invoke(args=["outreach", "sms-templates"])
    assert result.exit_code == 0, result.output
    rows = rendered_samples()
    for key in TEXTS:
        for language in Language:
            assert f"{key} [{language.value}] " in result.output
    warnings = [line for line in result.output.splitlines() if "WARNING" in line]
    assert len(warnings) == sum(not parts.single for *_, parts in rows) > 0
    assert any(line.strip().startswith("WARNING: check_in in pl needs 2 segments (UCS-2)")
               for line in warnings)
    assert "check_in [en] GSM-7, 111 characters, 1 segment\n" in result.output
    assert "  Hello Margaret, it's Call & Check. Reply 1" in result.output


# --- Dates and times in each language ----------------------------------------------------------

MORNING = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)  # Tuesday, GMT on the island


@pytest.mark.parametrize(("language", "expected"), [
    (EN, "Tuesday 3 March at 10:30"),
    (PT, "terça-feira, 3 de março, às 10:30"),
    (PL, "wtorek 3 marca o 10:30"),
    (FR, "mardi 3 mars à 10h30"),
])
def test_day_and_time_as_each_language_writes_them(language, expected):
    assert dates.day_and_time(MORNING, language, "Europe/Jersey") == expected


def test_times_are_the_programmes_wall_clock_in_summer_and_winter():
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert dates.day_and_time(summer, EN, "Europe/Jersey") == "Wednesday 1 July at 10:30"
    assert dates.day_and_time(summer, PL, "Europe/Warsaw") == "środa 1 lipca o 11:30"
    # Just before midnight UTC is already the next day in Warsaw.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert dates.day_and_time(late, FR, "Europe/Paris") == "vendredi 1 janvier à 0h30"


@pytest.mark.parametrize(("moment", "language", "expected"), [
    (datetime(2026, 3, 3, 8, 5, tzinfo=UTC), EN, "today at 8:05"),
    (datetime(2026, 3, 3, 8, 5, tzinfo=UTC), PT, "hoje às 8:05"),
    (datetime(2026, 3, 3, 1, 5, tzinfo=UTC), PT, "hoje à 1:05"),
    (datetime(2026, 3, 3, 8, 5, tzinfo=UTC), PL, "dziś o 8:05"),
    (datetime(2026, 3, 3, 8, 0, tzinfo=UTC), FR, "aujourd'hui à 8h"),
    (datetime(2026, 3, 2, 8, 5, tzinfo=UTC), EN, "on Monday 2 March at 8:05"),
    (datetime(2026, 3, 1, 8, 5, tzinfo=UTC), PT, "no domingo, 1 de março, às 8:05"),
    (datetime(2026, 3, 2, 8, 5, tzinfo=UTC), PT, "na segunda-feira, 2 de março, às 8:05"),
    (datetime(2026, 2, 24, 8, 5, tzinfo=UTC), PL, "we wtorek 24 lutego o 8:05"),
    (datetime(2026, 2, 25, 8, 5, tzinfo=UTC), PL, "w środę 25 lutego o 8:05"),
    (datetime(2026, 3, 2, 18, 45, tzinfo=UTC), FR, "le lundi 2 mars à 18h45"),
])
def test_when_something_happened(moment, language, expected):
    assert dates.when(moment, language, "Europe/Jersey", MORNING) == expected


def test_every_weekday_and_month_is_spelled_in_every_language():
    for language in Language:
        assert len(dates.WEEKDAYS[language]) == len(dates.ON_WEEKDAY[language]) == 7
        assert len(dates.MONTHS[language]) == 12
    assert dates.day(date(2026, 8, 15), PL) == "sobota 15 sierpnia"
    assert dates.day(date(2026, 12, 25), PT) == "sexta-feira, 25 de dezembro"


def test_an_unknown_language_falls_back_to_english():
    assert dates.day_and_time(MORNING, "de", "Europe/Jersey") == "Tuesday 3 March at 10:30"
    assert dates.day_and_time(MORNING, None, "Europe/Jersey") == "Tuesday 3 March at 10:30"


def test_a_long_rendering_is_logged_once_per_template_and_language(caplog, monkeypatch):
    from outreach.messages import texts as registry

    monkeypatch.setattr(registry, "_WARNED", set())
    with caplog.at_level("WARNING", logger="outreach.messages.texts"):
        for _ in range(3):
            registry.render("check_in", "pl", first_name="Zofia")
        registry.render("check_in", "en", first_name="Mary")  # one segment: nothing to say
    assert [r.getMessage() for r in caplog.records] == [
        "Text check_in in pl needs 2 segments (UCS-2)"]
