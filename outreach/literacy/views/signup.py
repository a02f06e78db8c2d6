"""The public workshop sign-up form: no login, four languages, rate-limited per address and
per person.

A person gives their name, mobile number and language, picks an upcoming workshop and agrees to
take part. They join the workshop's programme as a client (someone the programme already knows
by that number joins as themselves, not as a second record), their consent is recorded, and
they get a place or a turn on the waiting list. The pages show nothing about anyone else.
"""

from __future__ import annotations

import hashlib
import hmac
from contextlib import suppress

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from outreach.consent.services import record_consent
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, EnrolmentSource, Language, ProgrammeKind
from outreach.errors import Conflict
from outreach.extensions import limiter
from outreach.literacy import services
from outreach.literacy.forms import SignupForm
from outreach.literacy.models import Workshop, WorkshopSession
from outreach.literacy.signup_words import WORDS
from outreach.people.models import Client
from outreach.people.services import create_client
from outreach.programmes.models import Programme
from outreach.selfreport.texts import LANGUAGE_NAMES, language_of
from outreach.web.forms import form_data, validate_form

bp = Blueprint("signup", __name__, url_prefix="/learn")
# Enough for a family signing up together; too few to fill the client list from one address.
PER_ADDRESS = "10 per hour"
# One person (by the number they give) signing up again and again, from wherever they are.
PER_PERSON = "5 per hour"
RESULTS = ("enrolled", "waiting", "known")


@bp.before_request
def _public():
    g.via = "web"


def _language() -> Language:
    return language_of(request.args.get("lang") or request.form.get("lang"))


def _page(template: str, status: int = 200, **context):
    language = _language()
    page = render_template(template, lang=language.value, w=WORDS[language],
                           languages=LANGUAGE_NAMES, **context)
    return page, status, {"Referrer-Policy": "no-referrer"}


def _person_key() -> str:
    """The number given, as its last nine digits (+44 7700… and 07700… alike), keyed with the
    secret so the limiter's storage holds no phone numbers."""
    digits = "".join(ch for ch in request.form.get("phone", "") if ch.isdigit())[-9:]
    key = str(current_app.config["SECRET_KEY"]).encode()
    return "learn-person:" + hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


@bp.errorhandler(429)
def _too_many(error):
    return _page("literacy/signup_problem.html", 429, title="busy_title", message="busy")


@bp.errorhandler(CSRFError)
def _form_expired(error):
    return _page("literacy/signup_problem.html", 400, title="expired_title", message="expired")


def upcoming() -> list[dict]:
    """Workshops of every digital-literacy programme with a session still to come."""
    now = utcnow()
    sessions = db.session.scalars(select(WorkshopSession).join(WorkshopSession.workshop)
                                  .join(Workshop.programme).where(
        Programme.kind == ProgrammeKind.DIGITAL_LITERACY, WorkshopSession.starts_at > now,
        WorkshopSession.cancelled_at.is_(None))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    firsts: dict[int, WorkshopSession] = {}
    for session in sessions:
        firsts.setdefault(session.workshop_id, session)
    return [{"workshop": s.workshop, "first": s, "timezone": s.workshop.programme.timezone,
             "places_left": services.places_left(s.workshop, now)} for s in firsts.values()]


@bp.get("/")
def form():
    """The sign-up form, listing the workshops coming up."""
    return _page("literacy/signup.html", workshops=upcoming(), errors={},
                 values={"preferred_language": _language().value})


@bp.post("/")
@limiter.limit(PER_ADDRESS, scope="learn-address")
@limiter.limit(PER_PERSON, key_func=_person_key, scope="learn-person")
def submit():
    """Sign the person up: client, consent, then a place or the waiting list."""
    workshops = upcoming()
    raw = form_data(SignupForm(), request.form, booleans=("consent",))
    data, errors = validate_form(SignupForm(), raw)
    offered = {row["workshop"].id: row["workshop"] for row in workshops}
    if not errors and data["workshop_id"] not in offered:
        errors = {"workshop_id": "not offered"}
    if errors:
        db.session.rollback()
        w = WORDS[_language()]
        shown = {name: w.get(f"error_{name}", w["errors"]) for name in errors}
        return _page("literacy/signup.html", 422, workshops=workshops, errors=shown,
                     values=request.form)
    workshop = offered[data["workshop_id"]]
    result = _sign_up(data, workshop)
    return redirect(url_for(".thanks", lang=_language().value, result=result,
                            workshop=workshop.id))


def _sign_up(data: dict, workshop: Workshop) -> str:
    """Enrol the person; which of RESULTS it came to."""
    try:
        learner = create_client(None, {
            "programme_id": workshop.programme_id, "full_name": data["full_name"],
            "phone": data["phone"], "preferred_language": data["preferred_language"]})
    except Conflict as exc:  # known by this number (or name and birth date): the same person
        learner = db.session.get(Client, exc.extra["matches"][0]["id"])
    with suppress(Conflict):  # their agreement to take part may be on record already
        record_consent(None, learner, {"purpose": ConsentPurpose.TAKE_PART.value,
                                       "given_by": "client",
                                       "note": "Ticked on the workshop sign-up form"})
    try:
        enrolment = services.enrol(None, workshop, learner, EnrolmentSource.WEB)
    except Conflict:
        return "known"  # said without saying what we know about them
    return "enrolled" if enrolment.status == services.Status.ENROLLED else "waiting"


@bp.get("/thanks")
def thanks():
    """Thank the person, saying whether they have a place or are waiting for one."""
    workshop = None
    key = request.args.get("workshop", "")
    if key.isascii() and key.isdigit() and len(key) < 10:
        workshop = db.session.get(Workshop, int(key))
    result = request.args.get("result")
    if workshop is None or result not in RESULTS:
        return redirect(url_for(".form", lang=_language().value))
    return _page("literacy/signup_thanks.html", result=result, workshop=workshop)
