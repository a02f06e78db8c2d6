"""Creating users and checking who they are."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from outreach.audit import refusals
from outreach.audit.services import record
from outreach.auth import passwords, strength, tokens
from outreach.auth.access import can_manage_user
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Conflict, Forbidden, ValidationFailed
from outreach.organisations.models import Organisation


def find_by_email(email: str) -> User | None:
    if "\x00" in email:  # no stored email has one, and PostgreSQL refuses it as a parameter
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (in constant-ish time)."""
    user = find_by_email(email)
    if user is None or not user.active:
        passwords.dummy_verify(password)
        refusals.note("user.login_failed", subject=user,
                      detail={"reason": "unknown" if user is None else "inactive"})
        return None
    if not passwords.verify_password(user.password_hash, password):
        refusals.note("user.login_failed", subject=user, detail={"reason": "password"})
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def check_password_strength(password: str, email: str = "", full_name: str = "") -> None:
    """Refuse a short, common or guessable password (see auth.strength) with a 422."""
    found = strength.problems(password, email=email, full_name=full_name)
    if found:
        raise ValidationFailed("The password is not strong enough.", fields={"password": found})


def create_user(actor: User | None, *, email: str, password: str, role: Role,
                organisation_id: int, full_name: str = "", phone: str | None = None) -> User:
    """Create a user; `actor` None means the command line (trusted)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationFailed("Unknown organisation.",
                               fields={"organisation_id": ["No such organisation."]})
    if actor is not None and not can_manage_user(actor, role, organisation_id):
        refusals.note("user.create_refused", actor=actor,
                      detail={"role": str(role), "organisation_id": organisation_id})
        raise Forbidden("You cannot create this kind of user in that organisation.")
    if find_by_email(email) is not None:
        raise Conflict("A user with this email already exists.", fields={"email": ["Taken."]})
    check_password_strength(password, email, full_name)
    user = User(
        email=email.lower(),
        full_name=full_name,
        password_hash=passwords.hash_password(password),
        role=Role(role),
        organisation=organisation,
        phone=phone,
        session_token=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", subject=user, detail={"role": str(role)})
    return user


def update_user(actor: User, user: User, changes: dict) -> User:
    """Change a user's details, role, password or active flag."""
    new_role = Role(changes.get("role", user.role))
    new_org = changes.get("organisation_id", user.organisation_id)
    if not can_manage_user(actor, user.role, user.organisation_id) or not can_manage_user(
        actor, new_role, new_org
    ):
        refusals.note("user.change_refused", actor=actor, subject=user,
                      detail={"fields": sorted(changes)})
        raise Forbidden("You cannot change this user.")
    if "email" in changes and changes["email"] != user.email:
        other = find_by_email(changes["email"])
        if other is not None and other.id != user.id:
            raise Conflict("A user with this email already exists.", fields={"email": ["Taken."]})
    if "organisation_id" in changes and db.session.get(Organisation, new_org) is None:
        raise ValidationFailed("Unknown organisation.",
                               fields={"organisation_id": ["No such organisation."]})
    logout_everywhere = False
    for field in ("email", "full_name", "phone", "organisation_id"):
        if field in changes:
            setattr(user, field, changes[field])
    if "role" in changes:
        user.role = new_role
        logout_everywhere = True
    if "password" in changes:
        check_password_strength(changes["password"], changes.get("email", user.email),
                                changes.get("full_name", user.full_name))
        user.password_hash = passwords.hash_password(changes["password"])
        logout_everywhere = True
    if "active" in changes:
        user.active = changes["active"]
        logout_everywhere = logout_everywhere or not user.active
    if logout_everywhere:
        user.session_token = secrets.token_hex(16)
        if not user.active or "password" in changes:
            tokens.revoke_all(user)
    db.session.flush()
    record(actor, "user.update", subject=user, detail={"fields": sorted(changes)})
    return user


def update_user_as_system(user: User, *, role: Role, password: str, active: bool) -> User:
    """Command-line reset of a user's role and password (no actor, so no permission check)."""
    check_password_strength(password, user.email, user.full_name)
    user.role = Role(role)
    user.password_hash = passwords.hash_password(password)
    user.active = active
    user.session_token = secrets.token_hex(16)
    tokens.revoke_all(user)
    db.session.flush()
    record(None, "user.reset", subject=user, detail={"role": str(role)}, via="cli")
    return user
