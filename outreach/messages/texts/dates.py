"""Days and times written as people write them in each language, without the machine's locale.

The server's locale says nothing about the recipient, and locale data may not even be installed,
so the few words texts need (weekdays, months, the word for "at") are spelled out here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from outreach.enums import Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

# Monday first, as date.weekday() counts.
WEEKDAYS = {
    EN: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    PT: ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
         "sábado", "domingo"],
    PL: ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"],
    FR: ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
}
# "On Tuesday": Portuguese and Polish change the preposition (and Polish the case) by day.
ON_WEEKDAY = {
    EN: ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday",
         "on Sunday"],
    PT: ["na segunda-feira", "na terça-feira", "na quarta-feira", "na quinta-feira",
         "na sexta-feira", "no sábado", "no domingo"],
    PL: ["w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę",
         "w niedzielę"],
    FR: ["le lundi", "le mardi", "le mercredi", "le jeudi", "le vendredi", "le samedi",
         "le dimanche"],
}
# January first. Polish dates take the month in the genitive ("3 marca").
MONTHS = {
    EN: ["January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"],
    PT: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
         "setembro", "outubro", "novembro", "dezembro"],
    PL: ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
         "września", "października", "listopada", "grudnia"],
    FR: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
         "octobre", "novembre", "décembre"],
}
TODAY = {EN: "today", PT: "hoje", PL: "dziś", FR: "aujourd'hui"}


def _language(language: Language | str | None) -> Language:
    try:
        return Language(language) if language else EN
    except ValueError:
        return EN


def day(on: date, language: Language | str | None) -> str:
    """A date with its weekday: Tuesday 3 March, terça-feira, 3 de março, wtorek 3 marca,
    mardi 3 mars."""
    lang = _language(language)
    weekday, month = WEEKDAYS[lang][on.weekday()], MONTHS[lang][on.month - 1]
    if lang == PT:
        return f"{weekday}, {on.day} de {month}"
    return f"{weekday} {on.day} {month}"


def clock(at: time, language: Language | str | None) -> str:
    """A time of day on the 24-hour clock: 10:30, or 10h30 in French (10h on the hour)."""
    if _language(language) == FR:
        return f"{at.hour}h{at.minute:02d}" if at.minute else f"{at.hour}h"
    return f"{at.hour}:{at.minute:02d}"


def at_clock(at: time, language: Language | str | None) -> str:
    """"At" a time: at 10:30, às 10:30 (à 1:30), o 10:30, à 10h30."""
    lang = _language(language)
    word = {EN: "at", PT: "à" if at.hour == 1 else "às", PL: "o", FR: "à"}[lang]
    return f"{word} {clock(at, lang)}"


def local(moment: datetime, timezone: str) -> datetime:
    """An aware UTC moment on the programme's wall clock."""
    return moment.astimezone(ZoneInfo(timezone))


def day_and_time(moment: datetime, language: Language | str | None, timezone: str) -> str:
    """Tuesday 3 March at 10:30, terça-feira, 3 de março, às 10:30, wtorek 3 marca o 10:30,
    mardi 3 mars à 10h30 (in the programme's time zone)."""
    lang, wall = _language(language), local(moment, timezone)
    separator = ", " if lang == PT else " "
    return f"{day(wall.date(), lang)}{separator}{at_clock(wall.time(), lang)}"


def when(moment: datetime, language: Language | str | None, timezone: str,
         now: datetime) -> str:
    """When something happened, as a report says it: "today at 10:40" when it was today (in
    the programme's time zone), else "on Monday 2 March at 10:40"."""
    lang, wall = _language(language), local(moment, timezone)
    at = at_clock(wall.time(), lang)
    if wall.date() == local(now, timezone).date():
        return f"{TODAY[lang]} {at}"
    on = wall.date()
    weekday, month = ON_WEEKDAY[lang][on.weekday()], MONTHS[lang][on.month - 1]
    if lang == PT:
        return f"{weekday}, {on.day} de {month}, {at}"
    return f"{weekday} {on.day} {month} {at}"
