"""The skills checklist of a digital-literacy programme: what tutors mark learners as having
shown, and what the report counts. Coordinators add items and retire ones no longer taught
(a retired skill keeps what learners already showed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import Schema

from outreach.audit.services import record
from outreach.db import db
from outreach.enums import ProgrammeKind
from outreach.errors import APIError
from outreach.literacy import services
from outreach.literacy.models import Skill
from outreach.literacy.scope import add_skill
from outreach.literacy.views.invites import MANAGERS, require_role
from outreach.programmes.models import Programme
from outreach.schemas import Text
from outreach.web.forms import form_data, refusal_errors, validate_form

bp = Blueprint("skills", __name__)


class SkillForm(Schema):
    name = Text(required=True, required_text=True, max_length=200)


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _programme(programme_id: int) -> Programme:
    require_role(*MANAGERS)
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.kind != ProgrammeKind.DIGITAL_LITERACY:
        abort(404)
    if not services.may_manage(current_user, programme):
        abort(403)
    return programme


def _render(programme: Programme, errors: dict, value: str, status: int):
    skills = services.skills_of(programme)
    return render_template("literacy/skills.html", programme=programme, skills=skills,
                           errors=errors, value=value), status


@bp.get("/programmes/<int:programme_id>/skills")
def index(programme_id: int):
    """The programme's checklist, in order, with a form to add an item."""
    return _render(_programme(programme_id), {}, "", 200)


@bp.post("/programmes/<int:programme_id>/skills")
def add(programme_id: int):
    """Add an item to the checklist (a name already on it is refused)."""
    programme = _programme(programme_id)
    data, errors = validate_form(SkillForm(), form_data(SkillForm(), request.form))
    if not errors:
        try:
            skill = add_skill(current_user, programme, data["name"])
        except APIError as exc:
            errors = refusal_errors(exc)
            if "_schema" in errors:
                errors = {"name": errors.pop("_schema")}
            db.session.rollback()
            return _render(programme, errors, data["name"], exc.status)
        flash(f"“{skill.name}” added to the checklist.", "success")
        return redirect(url_for("literacy.skills.index", programme_id=programme.id))
    db.session.rollback()
    return _render(programme, errors, request.form.get("name", "")[:200], 422)


@bp.post("/skills/<int:skill_id>/active")
def set_active(skill_id: int):
    """Retire a skill no longer taught, or bring it back."""
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        require_role(*MANAGERS)
        abort(404)
    programme = _programme(skill.programme_id)
    skill.active = request.form.get("active") == "1"
    record(current_user, "skill.change", subject=skill, detail={"active": skill.active})
    flash(f"“{skill.name}” {'is back on' if skill.active else 'is retired from'} the checklist.",
          "success")
    return redirect(url_for("literacy.skills.index", programme_id=programme.id))
