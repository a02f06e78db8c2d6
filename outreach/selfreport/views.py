"""The public self-report form (no login: the texted link is the key) and the coordinator's
button that texts the link."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields, validate

from outreach.db import db
from outreach.errors import APIError
from outreach.extensions import limiter
from outreach.people.services import client_for_change
from outreach.schemas import Text
from outreach.selfreport import services
from outreach.selfreport.texts import LANGUAGE_NAMES, language_of, words
from outreach.web.forms import form_data, validate_form

bp = Blueprint("selfreport", __name__)

# Generous for a person reporting a need or two; tight enough that a leaked link cannot flood
# the coordinators' list.
PER_ADDRESS = "10 per hour"
PER_LINK = "5 per hour"
CATEGORIES = [c.value for c in services.REPORTABLE]


class ReportIn(Schema):
    """What the form sends: one of the offered categories, how soon, and optional words."""

    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    how_soon = fields.String(required=True, validate=validate.OneOf(list(services.SEVERITY)))
    description = Text(max_length=services.DESCRIPTION_MAX, load_default="")


def _link_key() -> str:
    # The digest, not the token: the limiter's storage should not hold working links either.
    return "selfreport:" + services.digest(str((request.view_args or {}).get("token", "")))


@bp.before_request
def _public():
    g.via = "web"


def _language(link=None):
    default = link.client.preferred_language if link is not None else "en"
    return language_of(request.args.get("lang"), default)


def _page(template: str, status: int = 200, link=None, **context):
    language = _language(link)
    response = render_template(template, lang=language.value, w=words(language),
                               languages=LANGUAGE_NAMES, categories=CATEGORIES, **context)
    return response, status, {"Referrer-Policy": "no-referrer"}


def _dead_link():
    # The same page for unknown, expired and revoked links: nothing to tell them apart.
    return _page("selfreport/dead.html", 404)


@bp.errorhandler(429)
def _too_many(error):
    return _page("selfreport/problem.html", 429, title="busy_title", message="busy")


@bp.errorhandler(CSRFError)
def _form_expired(error):
    return _page("selfreport/problem.html", 400, title="expired_title", message="expired")


@bp.get("/tell-us/<token>")
def form(token: str):
    """The form a client opens from their texted link."""
    link = services.link_for(token)
    if link is None:
        return _dead_link()
    return _page("selfreport/form.html", link=link, token=token, errors={}, values={})


@bp.post("/tell-us/<token>")
@limiter.limit(PER_ADDRESS, scope="selfreport-address")
@limiter.limit(PER_LINK, key_func=_link_key, scope="selfreport-link")
def submit(token: str):
    """Record what the client said they need, then thank them."""
    link = services.link_for(token)
    if link is None:
        return _dead_link()
    language = _language(link)
    data, errors = validate_form(ReportIn(), form_data(ReportIn(), request.form))
    if not errors:
        try:
            services.report(link, data["category"], data["how_soon"], data["description"])
        except APIError as exc:
            db.session.rollback()
            errors = dict(exc.fields) or {"category": exc.message}
    if errors:
        db.session.rollback()
        link = services.link_for(token)
        own = words(language)
        shown = {name: own.get(f"error_{name}", own["error_category"]) for name in errors}
        return _page("selfreport/form.html", 422, link=link, token=token, errors=shown,
                     values=request.form)
    return redirect(url_for(".thanks", token=token, lang=language.value,
                            today="1" if data["how_soon"] == "today" else None))


@bp.get("/tell-us/<token>/thanks")
def thanks(token: str):
    """The thank-you page after a report."""
    link = services.link_for(token)
    if link is None:
        return _dead_link()
    return _page("selfreport/thanks.html", link=link, token=token,
                 today=request.args.get("today") == "1")


@bp.post("/clients/<int:client_id>/self-report-link")
@login_required
def send_link(client_id: int):
    """Text the client a fresh link to the form, from the client's page."""
    client = client_for_change(current_user, client_id)
    try:
        services.send_link(current_user, client)
    except APIError as exc:  # no number, or it opted out: nothing issued, nothing queued
        db.session.rollback()
        client_for_change(current_user, client_id)  # the read is kept, as on any refusal
        flash(exc.message, "error")
        return redirect(url_for("people.show", client_id=client_id))
    flash(f"A link was texted to {client.full_name}.", "success")
    return redirect(url_for("people.show", client_id=client_id))
