"""`outreach sms-templates`: every text in every language, as sent, with what it costs.

Each extra segment is billed, and a text split in two can arrive in the wrong order on an old
phone, so whoever edits a template sees here which renderings no longer fit in one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from channels.sms import segments
from outreach.cli import cli
from outreach.enums import Language, NeedCategory
from outreach.messages.texts import TEXTS, dates
from outreach.messages.texts.replies import WHAT

# A Tuesday morning in March on the island, for the dates and times in the samples.
SAMPLE_MOMENT = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
SAMPLE_TIMEZONE = "Europe/Jersey"
SAMPLE_NAMES = {
    "first_name": "Margaret",
    "client_first_name": "Margaret",
    "appointment": "Eye clinic, General Hospital, outpatients",
    "pharmacy": "Les Ruettes Pharmacy",
    "workshop": "Get Online",
    "place": "St Helier Library",
    "link": "https://callandcheck.example.org/tell-us/" + "x" * 32,
    "who": "Island Larder Food Bank",
}


class _Samples(dict):
    """Sample values; a field nobody has given a sample for shows as itself."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def sample_values(language: Language) -> dict[str, str]:
    """A realistic value for every field the templates use, written in `language`."""
    wall = dates.local(SAMPLE_MOMENT, SAMPLE_TIMEZONE)
    return _Samples(SAMPLE_NAMES, what=WHAT[NeedCategory.FOOD_OR_SHOPPING][language],
                    day=dates.day(wall.date(), language),
                    time=dates.clock(wall.time(), language),
                    when=dates.when(SAMPLE_MOMENT, language, SAMPLE_TIMEZONE, SAMPLE_MOMENT))


def rendered_samples() -> list[tuple[str, Language, str, segments.Segments]]:
    """(template, language, text, segments) for every template in every language."""
    rows = []
    for key, versions in TEXTS.items():
        for language in Language:
            text = versions.get(language)
            if text is None:
                continue
            body = text.format_map(sample_values(language))
            rows.append((key, language, body, segments.count(body)))
    return rows


@cli.command("sms-templates")
def sms_templates() -> None:
    """Print every text template in every language with sample values and its segments."""
    rows = rendered_samples()
    for key, language, body, parts in rows:
        plural = "" if parts.single else "s"
        click.echo(f"{key} [{language.value}] {parts.encoding}, {len(body)} characters, "
                   f"{parts.count} segment{plural}")
        click.echo(f"  {body}")
        if not parts.single:
            click.echo(f"  WARNING: {key} in {language.value} needs {parts.count} segments "
                       f"({parts.encoding}); each is billed")
    long = sum(not parts.single for *_, parts in rows)
    click.echo(f"\n{len(rows)} rendering(s) of {len({r[0] for r in rows})} template(s); "
               f"{long} need more than one segment.")
