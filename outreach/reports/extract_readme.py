"""The README.txt of the anonymised extract: what each file and column holds, and what was
left out on purpose."""

from __future__ import annotations

from datetime import date

from outreach.programmes.models import Programme

COLUMNS = """\
clients.csv: one row per client enrolled in the programme during the dates
  client              the client's pseudonym (see below); the same in every file
  age_band            age on the extract date in 5-year bands (60-64, 65-69, ...), 90+ from 90,
                      "unknown" when no date of birth is recorded
  lives_alone         yes / no
  preferred_language  en, pt, pl or fr
  enrolled_month      month joined the programme (YYYY-MM, programme time)
  left_month          month left the programme, blank if still enrolled
  status              active or left (the reason for leaving is free text, not exported)

visits.csv: one row per doorstep visit recorded
  client, date (YYYY-MM-DD), outcome (seen_well, seen_concern, no_answer, declined, away),
  prescription_delivered, appointment_reminded (yes / no). Notes and answers are not exported.

needs.csv: one row per need raised (reported, or raised by the system's safety net)
  client, date, category, severity (urgent, soon, routine), source (visit, sms, web, system),
  status (open, resolved), days_to_resolve (blank while open). Descriptions are not exported.

escalations.csv: one row per escalation (a need sent to one recipient)
  client, date, category, severity
  recipient_kind      gp (the client's own practice), health, community, contact (a family
                      member or carer) or coordinator (the programme's own staff)
  recipient           a pseudonym for the organisation (blank for a contact)
  tier                1 first recipients, 2 their fallback, 3 the coordinator as last resort
  status              open, acknowledged, resolved, reassigned, reopened
  hours_to_acknowledge, hours_to_resolve   from when it was sent (blank if not yet)
  acknowledged_in_time, resolved_in_time   yes / no against the routing rule's times; blank
                      while it may still be done in time
  passed_on           yes when it was not acknowledged in time and went to the next tier
  outcome             helped, referred_on, already_in_hand, not_needed, could_not_reach,
                      declined, other (the recipient's note is not exported)
  usefulness          the recipient's rating of the referral, 1 (not useful) to 5

measures.csv: one row per asking of the outcome measures
  client, date (asked), completed_date (blank if not every question was answered)
  kind                wellbeing (UCLA-3 and ONS-4) or satisfaction
  source              visit, sms or web
  declined            yes when the client preferred not to answer
  ucla_companionship, ucla_left_out, ucla_isolated   1 hardly ever, 2 some of the time, 3 often
  ons_life_satisfaction, ons_worthwhile, ons_happy, ons_anxious   0 not at all .. 10 completely
  satisfaction        1 (very dissatisfied) .. 5 (very satisfied)
  ucla_total          the three UCLA items added up, 3..9 (higher is lonelier)
"""

PSEUDONYMS = """\
Pseudonyms
  Clients are "c-" and organisations "o-" followed by 16 hexadecimal characters: an HMAC-SHA256
  of the record's number under a key held by the programme, never the number itself. A client
  keeps the same pseudonym in every extract made with the same key, so extracts can be linked;
  without the key a pseudonym cannot be turned back into a person. The programme can start a
  fresh, unlinkable set by changing its EXTRACT_PSEUDONYM_SALT setting.

Left out on purpose
  Names, phone numbers, addresses, email addresses, parishes, dates of birth, visitors, notes,
  descriptions, free-text answers and outcome notes. Please do not try to identify anyone, and
  keep the files as securely as the data-sharing agreement asks.

Format
  UTF-8 CSV with a header row; blank means not known or not applicable. Dates are in the
  programme's time zone.
"""


def readme(programme: Programme, start: date | None, end: date | None, today: date,
           counts: dict[str, int]) -> str:
    """The README text for one extract."""
    covers = (f"{start.isoformat() if start else 'the start'} to "
              f"{end.isoformat() if end else 'the extract date'}")
    rows = "\n".join(f"  {name:<17} {count} row(s)" for name, count in counts.items())
    return (f"Anonymised extract of the programme's records for external evaluation\n\n"
            f"Programme kind: {programme.kind}\nTime zone: {programme.timezone}\n"
            f"Covers: {covers}\nExtract date: {today.isoformat()}\n\n{rows}\n\n"
            f"{COLUMNS}\n{PSEUDONYMS}")
