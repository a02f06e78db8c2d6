"""Blueprints whose every page is for some roles only."""

from __future__ import annotations

from flask import Blueprint, abort, g
from flask_login import current_user, login_required

from outreach.enums import Role


def pages_for(bp: Blueprint, *roles: Role) -> None:
    """Every page of `bp` asks for a login, then refuses (403) anyone not in `roles` before
    anything is looked up."""

    @bp.before_request
    @login_required
    def _require_role():
        g.via = "web"
        if current_user.role not in roles:
            abort(403)
