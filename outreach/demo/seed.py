"""`outreach seed-demo`: a realistic, entirely fictional demo.

It loads Jersey Post's Call & Check operator with its partner organisations, two programmes,
staff with logins, one round per parish and 40 clients with contacts and consents. Every phone
number is in Ofcom's drama range and every email address is under example.org or example.com,
so nothing can ever reach a real person. The demo is recognised by its operator's name: running
the command again changes nothing and prints the same logins.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import click
from flask import current_app
from sqlalchemy import select

from outreach.cli import cli
from outreach.db import db
from outreach.demo import care as demo_care
from outreach.demo import data
from outreach.demo import escalations as demo_escalations
from outreach.demo import history as demo_history
from outreach.demo import literacy as demo_literacy
from outreach.enums import ConsentPurpose, Language, OrganisationKind, ProgrammeKind, Role
from outreach.people.models import Client
from outreach.programmes.models import Programme

OPERATOR = data.ORGANISATIONS["operator"][0]
PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo password, printed on purpose  # nosec B105
DOMAIN = "demo.example.org"
SEED = 2026  # a fixed seed: the same demo on every machine
# Enrolments and consents first fall in a fixed window in the past; demo_history then dates
# them from the day the demo is loaded, so a year of history always has joiners in it.
ENROLMENT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
ENROLMENT_DAYS = 330


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, email, password) of every demo user, in the order the table shows them."""
    return [(label, f"{local}@{DOMAIN}", PASSWORD) for local, _, _, _, label in data.USERS]


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the fictional demo; if it is already there, change nothing and show the logins."""
    from outreach.auth.services import find_by_email
    from outreach.errors import APIError
    from outreach.organisations.models import Organisation

    if not current_app.config["ALLOW_FICTIONAL_NUMBERS"]:
        raise click.ClickException(
            "The demo uses fictional phone numbers, which this configuration refuses "
            "(ALLOW_FICTIONAL_NUMBERS is off, as in production). Load it into a development "
            "or demonstration database instead.")
    operator = db.session.scalar(select(Organisation).where(Organisation.name == OPERATOR))
    if operator is not None and not demo_care.present(operator):
        # Loaded before visits were planned: add that part alone, once.
        summary = _seed_care(operator)
        db.session.commit()
        demo_escalations.place_in_feed()
        db.session.commit()
        click.echo("Added Call & Check to the demo: "
                   + ", ".join(f"{n} {what}" for what, n in summary.items()) + ".")
    elif operator is not None and not demo_literacy.present(operator):
        # Loaded before the Get Online workshops: add them, once (and the year of history,
        # which came later still, after them: workshops are for the clients still enrolled).
        summary = demo_literacy.seed(operator)
        if not demo_history.present(operator):
            summary |= demo_history.seed(operator)
        db.session.commit()
        demo_escalations.place_in_feed()  # the need it adds is routed like any other
        db.session.commit()
        click.echo("Added the Get Online workshops to the demo: "
                   + ", ".join(f"{n} {what}" for what, n in summary.items()) + ".")
    elif operator is not None and not demo_history.present(operator):
        # Loaded before the year of history: add it alone, once.
        summary = demo_history.seed(operator)
        db.session.commit()
        demo_escalations.place_in_feed()  # the year's concerns were routed like any other
        db.session.commit()
        click.echo("Added a year of history to the demo: "
                   + ", ".join(f"{n} {what}" for what, n in summary.items()) + ".")
    elif operator is not None:
        click.echo(f"The demo is already loaded ({OPERATOR} exists); nothing was changed.")
        if find_by_email(demo_logins()[0][1]) is None:
            click.echo(f"Warning: {OPERATOR} exists but the demo users do not, so the logins "
                       "below will not work in this database.", err=True)
    else:
        try:
            summary = _seed(random.Random(SEED))  # a repeatable demo, not a secret  # nosec B311
        except APIError as exc:
            db.session.rollback()
            raise click.ClickException(f"Could not load the demo: {exc.message} "
                                       f"{exc.fields or ''}".strip()) from exc
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        demo_escalations.place_in_feed()
        db.session.commit()
        click.echo("Loaded the demo: " + ", ".join(f"{n} {what}" for what, n in summary.items())
                   + ".")
    _print_logins()
    _print_texting_in()


def _print_texting_in() -> None:
    """How to text in as a demo client who gets check-in texts (English, the first one)."""
    from outreach.organisations.models import Organisation
    from outreach.visits.models import VisitPlan

    row = db.session.execute(
        select(Client.full_name, Client.phone).join(VisitPlan, VisitPlan.client_id == Client.id)
        .join(Programme, Programme.id == Client.programme_id)
        .join(Organisation, Organisation.id == Programme.operator_id)
        .where(Organisation.name == OPERATOR, VisitPlan.sms_check_ins.is_(True),
               Client.preferred_language == "en", Client.phone.is_not(None))
        .order_by(Client.id).limit(1)).first()
    if row is not None:
        click.echo(f"\nText in as {row.full_name}, a demo client (the server must be running):"
                   f"\n  .venv/bin/flask --app outreach outreach sms-simulate --from {row.phone} "
                   '--body "I had a fall"')


def _print_logins() -> None:
    rows = [("role", "email", "password"), *demo_logins()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    click.echo("\nDemo logins (every demo user has the same password):")
    for number, row in enumerate(rows):
        click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            click.echo("  " + "  ".join("-" * w for w in widths))


def _seed(rng: random.Random) -> dict[str, int]:
    """Create the whole demo in the current transaction; the caller commits."""
    from outreach.organisations.services import create_organisation
    from outreach.programmes.services import create_programme
    from outreach.rounds.services import create_round

    numbers = _phone_numbers(rng)
    orgs = {key: create_organisation(None, {"name": name, "kind": OrganisationKind(kind),
                                            "email": email, "phone": next(numbers)})
            for key, (name, kind, email) in data.ORGANISATIONS.items()}
    programmes = {key: create_programme(None, {
        "name": name, "kind": ProgrammeKind(kind), "operator_id": orgs["operator"].id,
        "timezone": "Europe/Jersey", "description": description,
    }) for key, (name, kind, description) in data.PROGRAMMES.items()}
    users = _users(orgs, numbers)
    # Services that check permissions get the demo administrator as the one acting.
    admin = users["admin"]
    people = _people(rng)
    clients, consents = [], []
    for parish, visitor, weekdays, size in data.ROUNDS:
        round_ = create_round(admin, {
            "programme_id": programmes["call_and_check"].id, "name": parish, "area": parish,
            "visitor_id": users[visitor].id, "weekdays": list(weekdays),
        })
        group, people = people[:size], people[size:]
        for order, (person, address) in enumerate(_walk(rng, parish, group), start=1):
            made, given = _client(rng, admin, person, address, numbers, orgs,
                                  {"programme_id": round_.programme_id, "parish": parish,
                                   "round_id": round_.id, "walk_order": order})
            clients.append(made)
            consents.extend(given)
    withdrawn = _withdraw_some(rng, consents)
    _enrol_in_get_online(rng, admin, clients, programmes["get_online"].id)
    db.session.flush()
    return {"organisations": len(orgs), "programmes": len(programmes), "users": len(users),
            "rounds": len(data.ROUNDS), "clients": len(clients),
            "contacts": sum(len(c.contacts) for c in clients),
            "consents": len(consents), "withdrawn consents": withdrawn,
            **_seed_care(orgs["operator"])}


def _seed_care(operator) -> dict[str, int]:
    """The Call & Check part, with check-in texts for a few clients so the outbox shows some."""
    from outreach.visits.models import VisitPlan

    summary = demo_care.seed(operator)
    programme = db.session.scalar(select(Programme).where(
        Programme.operator_id == operator.id, Programme.kind == ProgrammeKind.CALL_AND_CHECK))
    summary |= demo_escalations.seed(programme)
    summary |= demo_literacy.seed(operator)
    plans = db.session.execute(
        select(VisitPlan, Client.preferred_language).join(Client)
        .join(Programme, Programme.id == Client.programme_id)
        .where(Programme.operator_id == operator.id).order_by(Client.id)).tuples().all()
    # The first clients of each language, so the outbox shows the texts in all four.
    chosen: dict[str, int] = {}
    for plan, language in plans:
        if chosen.get(language, 0) < data.SMS_CHECK_INS.get(language, 0):
            plan.sms_check_ins = True
            chosen[language] = chosen.get(language, 0) + 1
    db.session.flush()
    summary["clients with check-in texts"] = sum(chosen.values())
    if not demo_history.present(operator):
        summary |= demo_history.seed(operator)  # the year before the recent weeks
    return summary


def _phone_numbers(rng: random.Random) -> Iterator[str]:
    """Numbers from Ofcom's drama range (+44 7700 900000-900999) in a shuffled order."""
    from outreach.people import phones
    endings = list(range(1000))
    rng.shuffle(endings)
    for ending in endings:
        yield phones.normalise(f"{phones.FICTIONAL_PREFIX}{ending:03d}")


def _users(orgs: dict, numbers: Iterator[str]) -> dict:
    """The demo staff, keyed by their email's local part."""
    from outreach.audit.services import record
    from outreach.auth.models import User
    from outreach.auth.passwords import hash_password
    from outreach.auth.services import check_password_strength, find_by_email

    check_password_strength(PASSWORD)
    # argon2 is slow on purpose; everyone shares one password, so hash it once.
    password_hash = hash_password(PASSWORD)
    users = {}
    for local, role, full_name, org_key, _ in data.USERS:
        email = f"{local}@{DOMAIN}"
        if find_by_email(email) is not None:
            raise click.ClickException(f"A user {email} already exists outside the demo; "
                                       "use another database for the demo.")
        user = User(email=email, full_name=full_name, password_hash=password_hash,
                    role=Role(role), organisation=orgs[org_key],
                    phone=next(numbers) if role == Role.VISITOR else None,
                    session_token=secrets.token_hex(16))
        db.session.add(user)
        db.session.flush()
        record(None, "user.create", subject=user, detail={"role": role})
        users[local] = user
    return users


def _people(rng: random.Random) -> list[dict]:
    """Forty older islanders with distinct names, languages mixed as in data.LANGUAGE_MIX."""
    languages = [lang for lang, count in data.LANGUAGE_MIX.items() for _ in range(count)]
    # A check of our own fixed demo data, not of anything from outside.
    assert len(languages) == sum(size for *_, size in data.ROUNDS)  # nosec B101
    rng.shuffle(languages)
    people, taken = [], set()
    for language in languages:
        sex = "f" if rng.random() < 0.6 else "m"  # more older women than men live alone
        while True:
            first = rng.choice(data.OLDER_FIRST_NAMES[language][sex])
            surnames = rng.choice(data.SURNAMES[language])
            full_name = f"{first} {surnames[sex == 'f']}"
            if full_name not in taken:
                break
        taken.add(full_name)
        born = date(1930, 1, 1) + timedelta(days=rng.randrange((date(1955, 12, 31)
                                                                - date(1930, 1, 1)).days))
        people.append({"sex": sex, "language": language, "surnames": surnames,
                       "full_name": full_name, "date_of_birth": born})
    return people


def _walk(rng: random.Random, parish: str, group: list[dict]) -> list[tuple[dict, str]]:
    """Give each person an address in the parish and sort them in walking order."""
    streets = data.STREETS[parish]
    placed, used = [], set()
    for person in group:
        while (spot := (rng.randrange(len(streets)), rng.randint(1, 48))) in used:
            pass
        used.add(spot)
        placed.append((spot, person))
    placed.sort(key=lambda item: item[0])
    return [(person, f"{number} {streets[street]}, {parish}")
            for (street, number), person in placed]


def _client(rng: random.Random, admin, person: dict, address: str, numbers: Iterator[str],
            orgs: dict, placing: dict):
    """Enrol one client with their contacts, and record the consents they gave."""
    from outreach.consent.services import record_consent
    from outreach.people.services import create_client

    share_gp, collects = rng.random() < 0.9, rng.random() < 0.5
    pharmacy = orgs["pharmacy"]
    client = create_client(admin, {
        **placing, "full_name": person["full_name"], "date_of_birth": person["date_of_birth"],
        "address": address, "phone": next(numbers), "preferred_language": person["language"],
        "lives_alone": rng.random() < 0.85, "gp_practice_id": orgs["gp"].id,
        "access_notes": rng.choice(data.ACCESS_NOTES) if rng.random() < 0.35 else "",
        "notes": f"Prescriptions from {pharmacy.name} delivered on the round." if collects
        else "",
    }, contacts=_contacts(rng, person, numbers))
    given_at = ENROLMENT_START + timedelta(days=rng.randrange(ENROLMENT_DAYS),
                                           minutes=rng.randrange(8 * 60))
    client.enrolments[0].enrolled_at = given_at
    wanted = [{"purpose": ConsentPurpose.TAKE_PART}]
    wanted += [{"purpose": ConsentPurpose.SHARE_INFORMATION, "organisation_id": org.id}
               for org, wants in ((orgs["gp"], share_gp), (pharmacy, collects)) if wants]
    wanted += [{"purpose": ConsentPurpose.SHARE_INFORMATION, "contact_id": contact.id}
               for contact in client.contacts if rng.random() < 0.9]
    return client, [record_consent(None, client, dict(item, given_at=given_at))
                    for item in wanted]


def _contacts(rng: random.Random, person: dict, numbers: Iterator[str]) -> list[dict]:
    """None, one or two designated contacts: the first is family, and hears about every visit."""
    contacts = []
    for index in range(rng.choices((0, 1, 2), weights=(1, 6, 4))[0]):
        sex = rng.choice("fm")
        if index == 0 or rng.random() < 0.4:
            relationship, language = rng.choice(data.FAMILY[sex]), person["language"]
            surname = person["surnames"][sex == "f"]  # Polish surnames change with sex
        else:
            relationship = rng.choice(data.NOT_FAMILY)
            language = Language.ENGLISH if rng.random() < 0.7 else person["language"]
            others = [pair for pair in data.SURNAMES[language] if pair != person["surnames"]]
            surname = rng.choice(others)[sex == "f"]
        first = rng.choice(data.YOUNGER_FIRST_NAMES[language][sex])
        receives = (["visit_reports", "alerts"] if index == 0
                    else rng.choice([["alerts"], ["visit_reports", "alerts"]]))
        contacts.append({
            "name": f"{first} {surname}", "relationship": relationship,
            "phone": next(numbers), "email": _email(first, surname) if rng.random() < 0.4
            else None, "preferred_language": language, "receives": receives,
        })
    return contacts


def _email(first: str, surname: str) -> str:
    text = f"{first}.{surname}".replace("ł", "l").replace("Ł", "L")  # no decomposition of ł
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return plain.decode().lower().replace(" ", "").replace("'", "") + "@example.com"


def _withdraw_some(rng: random.Random, consents: list) -> int:
    """Withdraw one sharing consent with a contact and one with the GP, as happens in life."""
    from outreach.consent.services import withdraw

    reasons = (("contact_id", "The client asked that this contact no longer hears about visits."),
               ("organisation_id", "The client would rather speak to the surgery themselves."))
    count = 0
    for field, reason in reasons:
        candidates = [c for c in consents if getattr(c, field) is not None and (
            field == "contact_id" or c.organisation_id == c.client.gp_practice_id)]
        chosen = rng.choice(candidates)
        withdraw(None, chosen, reason, chosen.given_at + timedelta(days=rng.randint(30, 150)))
        count += 1
    return count


def _enrol_in_get_online(rng: random.Random, admin, clients: list, programme_id: int) -> None:
    """A few clients also come to the Get Online digital-skills sessions."""
    from outreach.people.services import enrol_in_programme

    for client in rng.sample(clients, 6):
        enrol_in_programme(admin, client, programme_id)
