"""API: tokens and users."""

from __future__ import annotations

import hashlib

from flask import request
from sqlalchemy import select

from outreach.api import Blueprint, paginate
from outreach.audit.services import record
from outreach.auth import access, password_changes, ratelimits, services, tokens
from outreach.auth.models import ApiToken, User
from outreach.auth.schemas import (
    PasswordChangeIn,
    PasswordResetOut,
    TokenOut,
    TokenRequest,
    UserIn,
    UserOut,
)
from outreach.db import db
from outreach.enums import Role
from outreach.errors import NotFound, Unauthorized

STAFF = (Role.ADMIN, Role.COORDINATOR)
SCHEME = "Bearer"  # how the token is sent: Authorization: Bearer <token>


blp = Blueprint("auth_api", __name__)


@blp.operation("/auth/token", method="POST", summary="Exchange email and password for a token",
               tag="auth", body=TokenRequest, response=TokenOut, status=201, auth=False,
               errors=(401,), rate_limits=ratelimits.LOGIN)
def issue_token(data):
    """Issue a bearer token; it is shown once and stored only as a digest."""
    user = services.authenticate(data["email"], data["password"])
    if user is None:
        raise Unauthorized("Wrong email or password.")
    raw, token = tokens.issue(user, data["name"])
    record(user, "token.issue", subject=token, via="api")
    return {"token": raw, "token_type": SCHEME, "expires_at": token.expires_at,
            "user_id": user.id, "role": user.role.value}


@blp.operation("/users/me", summary="The caller's own user", tag="users", response=UserOut)
def me(user):
    """Who the token belongs to."""
    return user


@blp.operation("/users", summary="List users", tag="users", response=UserOut, many=True)
def list_users(user):
    """Admins see all users, coordinators their organisation's, others only themselves."""
    return paginate(select(User).where(access.user_filter(user)), User.id)


@blp.operation("/users", method="POST", summary="Create a user", tag="users", body=UserIn,
               response=UserOut, status=201, roles=STAFF)
def create_user(user, data):
    """Admins create anyone; coordinators create coordinators, visitors and tutors of their own."""
    active = data.pop("active", True)
    created = services.create_user(user, **data)
    created.active = active
    return created


def _visible_user(actor: User, user_id: int) -> User:
    found = db.session.scalar(select(User).where(User.id == user_id, access.user_filter(actor)))
    if found is None:
        raise NotFound("No such user.")
    return found


@blp.operation("/users/<int:user_id>", summary="One user", tag="users", response=UserOut)
def get_user(user, user_id):
    """A user the caller may see."""
    return _visible_user(user, user_id)


@blp.operation("/users/<int:user_id>", method="PATCH", summary="Change a user", tag="users",
               body=UserIn, partial=True, response=UserOut, roles=STAFF)
def update_user(user, user_id, data):
    """Change details, role, password or deactivate; a deactivated user's tokens are revoked."""
    return services.update_user(user, _visible_user(user, user_id), data)


def _token_in_use() -> ApiToken | None:
    """The API token this request came with (it survives its own password change)."""
    raw = request.headers.get("Authorization", "").partition(" ")[2].strip()
    digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()
    return db.session.scalar(select(ApiToken).where(ApiToken.digest == digest))


@blp.operation("/users/me/password", method="POST", summary="Change your own password",
               tag="users", body=PasswordChangeIn, status=204,
               rate_limits=[ratelimits.password_change])
def change_own_password(user, data):
    """Any user changes their own password, giving the current one; their sessions and other
    API tokens end (this token goes on working)."""
    password_changes.change_own(user, data["current_password"], data["new_password"],
                                keep_token=_token_in_use())


@blp.operation("/users/<int:user_id>/password-reset", method="POST",
               summary="Make a one-time password-reset link", tag="users",
               response=PasswordResetOut, status=201, roles=STAFF)
def issue_password_reset(user, user_id):
    """A link to hand to the user, working once within PASSWORD_RESET_HOURS; earlier links for
    them stop working. Admins for anyone, coordinators for the people they manage."""
    raw, link = password_changes.issue_reset(user, _visible_user(user, user_id))
    return {"user_id": link.user_id, "url": password_changes.reset_url(raw),
            "expires_at": link.expires_at}
