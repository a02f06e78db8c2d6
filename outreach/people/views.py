"""The coordinator's client pages: list and search, enrol, view, edit, contacts and consent."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.api.core import encode_cursor
from outreach.audit.services import record_listing
from outreach.auth import access
from outreach.consent import services as consent_services
from outreach.consent.schemas import ConsentIn, WithdrawIn
from outreach.db import db
from outreach.enums import ContactReceives, Language, OrganisationKind, Role
from outreach.errors import APIError, Conflict
from outreach.organisations.models import Organisation
from outreach.people import services
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.people.schemas import ClientIn, ContactIn
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.schemas import MAX_ID
from outreach.web.forms import attempt, form_data, refusal_errors, validate_form
from outreach.web.pages import keep, start_again

bp = Blueprint("people", __name__, url_prefix="/clients")
PAGE = 25
LANGUAGES = {Language.ENGLISH: "English", Language.PORTUGUESE: "Português",
             Language.POLISH: "Polski", Language.FRENCH: "Français"}


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _choices() -> dict:
    """What the enrol and edit forms offer, limited to what the user may use."""
    user = current_user
    programmes = db.session.scalars(select(Programme).where(access.programme_filter(user))
                                    .order_by(Programme.name)).all()
    managed = [p for p in programmes if access.can_manage_programme(user, p)]
    return {
        "programmes": managed,
        "gp_practices": db.session.scalars(select(Organisation).where(
            Organisation.kind == OrganisationKind.HEALTH).order_by(Organisation.name)).all(),
        "organisations": _sharing_organisations(),
        "rounds": db.session.scalars(select(Round).where(
            Round.programme_id.in_([p.id for p in managed])).order_by(Round.name)).all(),
        "languages": LANGUAGES,
        "receives": [r.value for r in ContactReceives],
    }


def _client_form(form) -> dict:
    return form_data(ClientIn(), form, booleans=("lives_alone", "force"))


@bp.get("/")
def index():
    """List and search the clients the user may see."""
    q = request.args.get("q", "")[:100].replace("\x00", "").strip()  # PostgreSQL refuses NUL
    after = request.args.get("after", "")
    query = services.visible_clients(current_user, q=q)
    if after.isascii() and after.isdigit() and int(after) <= MAX_ID:  # else: from the start
        query = query.where(Client.id > int(after))
    rows = db.session.scalars(query.order_by(Client.id).limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    record_listing(current_user, rows)
    # Rendered before the request commits, which would expire the user and every client listed
    # (and reload each one again, a query apiece).
    return render_template(
        "clients/index.html", clients=rows, q=q,
        next_after=rows[-1].id if more else None, cursor=encode_cursor,
        can_enrol=current_user.role in (Role.ADMIN, Role.COORDINATOR),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Enrol a client with a contact and their consents, in one form."""
    if current_user.role not in (Role.ADMIN, Role.COORDINATOR):
        abort(403)
    errors, matches, values = {}, [], {}
    if request.method == "POST":
        values = request.form
        data, errors = validate_form(ClientIn(), _client_form(request.form))
        contact, contact_errors = None, {}
        if request.form.get("contact-name", "").strip():
            contact, contact_errors = validate_form(ContactIn(), form_data(
                ContactIn(), request.form, lists=("receives",), prefix="contact-"))
        errors.update({f"contact-{k}": v for k, v in contact_errors.items()})
        if "consent_take_part" not in request.form:
            errors["consent_take_part"] = "Record the client's agreement to take part."
        # Validated like the API's given_by: a NUL here would otherwise reach the database.
        _, given_by_errors = validate_form(ConsentIn(only=("given_by",)), {
            "given_by": request.form.get("consent_given_by", "client")})
        if given_by_errors:
            errors["consent_given_by"] = given_by_errors["given_by"]
        if not errors:
            try:
                client = _enrol(data, contact)
            except Conflict as exc:
                db.session.rollback()
                matches = exc.extra.get("matches", [])
            except APIError as exc:
                db.session.rollback()
                errors = refusal_errors(exc)
            else:
                flash(f"{client.full_name} is enrolled.", "success")
                return redirect(url_for("people.show", client_id=client.id))
    status = 422 if errors else (409 if matches else 200)
    return render_template("clients/new.html", errors=errors, matches=matches, values=values,
                           **_choices()), status


def _enrol(data: dict, contact: dict | None) -> Client:
    force = data.pop("force", False)
    client = services.create_client(current_user, data,
                                    contacts=[contact] if contact else [], force=force)
    consent_services.record_consent(current_user, client, {
        "purpose": "take_part", "given_by": request.form.get("consent_given_by", "client")[:200]})
    if "consent_share_gp" in request.form and client.gp_practice_id:
        consent_services.record_consent(current_user, client, {
            "purpose": "share_information", "organisation_id": client.gp_practice_id})
    if contact and "consent_share_contact" in request.form:
        consent_services.record_consent(current_user, client, {
            "purpose": "share_information", "contact_id": client.contacts[0].id})
    return client


@bp.get("/<int:client_id>")
def show(client_id: int):
    """One client's record, contacts and consents (the read is audited)."""
    return _render_show(_client_for_page(client_id), {}, None, 200)


def _client_for_page(client_id: int) -> Client:
    """services.get_client (the audited read), with the client loaded in one statement with
    everything the page's details read, so that the template loads nothing lazily. The rows
    are contacts x enrolments, a handful at most."""
    client = db.session.get(Client, client_id, options=[
        joinedload(Client.programme), joinedload(Client.gp_practice),
        joinedload(Client.contacts),
        joinedload(Client.enrolments).joinedload(ProgrammeEnrolment.programme)])
    if client is None:
        return services.get_client(current_user, client_id)  # refused as no such client
    return services.read_client(current_user, client, "read")


def _render_show(client: Client, errors: dict, values, status: int):
    # The page's read (get_client) has refused a client the user may not see: the panels are
    # given this answer rather than each asking again.
    checked = access.client_access(current_user, client, seen=True)
    consents = consent_services.consents_for(client, with_organisation=True)
    # The page's forms offer only the languages and the organisations to share with; the
    # enrol form's other choices (every round of the programmes) are not loaded for it.
    choices: dict = {"languages": LANGUAGES, "organisations": [], "pharmacies": []}
    if checked.can_manage:
        choices["organisations"] = _organisation_choices()
        choices["pharmacies"] = [o for o in choices["organisations"]
                                 if o.kind == OrganisationKind.HEALTH]
    keep()  # the audited read, also when the page is drawn again with a form's errors
    # Rendered before the request commits, which would expire every object the page reads
    # (and reload each one again, a query apiece).
    return render_template("clients/show.html", client=client, consents=consents,
                           can_manage=checked.can_manage, checked=checked, errors=errors,
                           values=values, **choices), status


def _organisation_choices() -> list:
    """The organisations the page's forms offer (to share with; pharmacies among them), as
    (id, name, kind) rows: the forms need no more, and the page's other organisations come
    with what names them."""
    return db.session.execute(select(Organisation.id, Organisation.name, Organisation.kind)
                              .where(Organisation.kind != OrganisationKind.OPERATOR)
                              .order_by(Organisation.name)).all()


def _sharing_organisations() -> list[Organisation]:
    """The organisations a client may agree to share with (as the enrol form offers them)."""
    return db.session.scalars(select(Organisation).where(
        Organisation.kind != OrganisationKind.OPERATOR).order_by(Organisation.name)).all()


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int):
    """Change a client's details."""
    client = services.client_for_change(current_user, client_id)
    errors, matches = {}, []
    if request.method == "POST":
        data, errors = validate_form(ClientIn(), _client_form(request.form), partial=True)
        data.pop("programme_id", None)
        if not errors:
            try:
                services.update_client(current_user, client, data)
            except Conflict as exc:
                start_again()
                matches = exc.extra.get("matches", [])
                client = services.client_for_change(current_user, client_id)
            except APIError as exc:
                start_again()
                errors = refusal_errors(exc)
                client = services.client_for_change(current_user, client_id)
            else:
                flash("Saved.", "success")
                return redirect(url_for("people.show", client_id=client.id))
    keep()  # the audited read, also when the form is drawn again with its errors
    status = 422 if errors else (409 if matches else 200)
    return render_template("clients/edit.html", client=client, errors=errors, matches=matches,
                           values=request.form if request.method == "POST" else None,
                           **_choices()), status


@bp.post("/<int:client_id>/contacts")
def add_contact(client_id: int):
    """Add a designated contact from the client's page."""
    client = services.client_for_change(current_user, client_id)
    data, errors = validate_form(ContactIn(), form_data(ContactIn(), request.form,
                                                        lists=("receives",)))
    if not errors:
        errors = attempt(lambda: services.add_contact(current_user, client, data))
    return _after_change(client_id, errors, "Contact added.")


@bp.post("/<int:client_id>/consents")
def give_consent(client_id: int):
    """Record a consent from the client's page."""
    client = services.client_for_change(current_user, client_id)
    data, errors = validate_form(ConsentIn(), form_data(ConsentIn(), request.form))
    if not errors:
        errors = attempt(lambda: consent_services.record_consent(current_user, client, data))
    return _after_change(client_id, errors, "Consent recorded.")


@bp.route("/<int:client_id>/consents/<int:consent_id>/withdraw", methods=["GET", "POST"])
def withdraw_consent(client_id: int, consent_id: int):
    """Confirm and record the withdrawal of a consent."""
    client = services.client_for_change(current_user, client_id)
    consent = consent_services.get_consent(client, consent_id)
    errors = {}
    if request.method == "POST":
        data, errors = validate_form(WithdrawIn(), form_data(WithdrawIn(), request.form))
        if not errors:
            errors = attempt(lambda: consent_services.withdraw(current_user, consent,
                                                               data["reason"]))
            if not errors:
                flash("Consent withdrawn. Nothing more will be shared because of it.",
                      "success")
                return redirect(url_for("people.show", client_id=client_id))
    keep()  # the audited read, also when the form is drawn again with its errors
    return render_template("clients/withdraw.html", client=client, consent=consent,
                           errors=errors), 422 if errors else 200


def _after_change(client_id: int, errors: dict, done: str):
    if errors:
        start_again()
        return _render_show(_client_for_page(client_id), errors, request.form, 422)
    flash(done, "success")
    return redirect(url_for("people.show", client_id=client_id))
