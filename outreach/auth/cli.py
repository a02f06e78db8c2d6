"""Administration of users from the command line: the first admin, tokens, reset links."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from outreach.audit.services import record
from outreach.auth import password_changes, services, tokens
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import OrganisationKind, Role
from outreach.errors import APIError
from outreach.organisations.models import Organisation


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--name", "full_name", default="Administrator")
@click.option("--organisation", default="Outreach administration",
              help="Operator organisation the admin belongs to (created if missing).")
def create_admin(email: str, password: str, full_name: str, organisation: str) -> None:
    """Create an administrator (or reset an existing one's password and role)."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
    if org is None:
        org = Organisation(name=organisation, kind=OrganisationKind.OPERATOR)
        db.session.add(org)
        db.session.flush()
    try:
        existing: User | None = services.find_by_email(email)
        if existing is None:
            user = services.create_user(None, email=email, password=password, role=Role.ADMIN,
                                        organisation_id=org.id, full_name=full_name)
            verb = "Created"
        else:
            user = services.update_user_as_system(existing, role=Role.ADMIN, password=password,
                                                  active=True)
            verb = "Updated"
    except APIError as exc:
        db.session.rollback()
        raise click.ClickException(_explain(exc)) from exc
    db.session.commit()
    click.echo(f"{verb} administrator {user.email} (id {user.id}).")


@click.command("create-token")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", default="command line")
@click.option("--days", default=None, type=click.IntRange(0, 3650),
              help="Lifetime in days; 0 for no expiry. Default from TOKEN_LIFETIME_DAYS.")
def create_token(email: str, name: str, days: int | None) -> None:
    """Issue an API token for a user; the token is printed alone on the last line."""
    user = services.find_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user with email {email}.")
    raw, token = tokens.issue(user, name, days)
    record(None, "token.issue", subject=token, detail={"user_id": user.id}, via="cli")
    db.session.commit()
    expiry = token.expires_at.isoformat() if token.expires_at else "never"
    click.echo(f"Token for {user.email} ({user.role.value}), expires {expiry}:")
    click.echo(raw)


@click.command("reset-link")
@with_appcontext
@click.option("--email", required=True)
def reset_link(email: str) -> None:
    """Make a one-time password-reset link for a user; the link is printed alone on the last
    line, to hand over (earlier links for them stop working)."""

    user = services.find_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user with email {email}.")
    raw, link = password_changes.issue_reset(None, user)
    db.session.commit()
    click.echo(f"One-time link for {user.email}, working until {link.expires_at.isoformat()}:")
    click.echo(password_changes.reset_url(raw))


def _explain(exc) -> str:
    details = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                        for k, v in exc.fields.items())
    return f"{exc.message} {details}".strip()


COMMANDS = (create_admin, create_token, reset_link)
