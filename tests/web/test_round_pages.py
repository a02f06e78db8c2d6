"""The coordinator's pages to create and change rounds, and where people start, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.db import db
from outreach.enums import OrganisationKind, Role
from outreach.rounds.models import Round
from tests import factories
from tests.conftest import csrf_token


def _round_form(token: str, **overrides) -> dict:
    form = {"csrf_token": token, "name": "Gorey Village", "area": "Grouville, St Martin",
            "visitor_id": "", "weekdays": ["1", "3", "5"]}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _round_named(app, name: str) -> Round | None:
    with app.app_context():
        return db.session.scalar(select(Round).where(Round.name == name))


def test_rounds_list_and_round_page_link_to_the_forms(world, client, login):
    login(world.coordinator)
    listing = client.get("/rounds/").get_data(as_text=True)
    assert 'href="/rounds/new"' in listing
    page = client.get(f"/rounds/{world.round.id}").get_data(as_text=True)
    assert f'href="/rounds/{world.round.id}/edit"' in page


def test_new_round_form_offers_only_own_programmes_and_visitors(world, client, login):
    login(world.coordinator)
    response = client.get("/rounds/new")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    programmes = text.split('id="programme_id"')[1].split("</select>")[0]
    assert f'value="{world.programme.id}"' in programmes
    assert f'value="{world.other_programme.id}"' not in programmes
    visitors = text.split('id="visitor_id"')[1].split("</select>")[0]
    assert f'value="{world.visitor.id}"' in visitors
    assert f'value="{world.other_visitor.id}"' in visitors
    assert f'value="{world.coordinator.id}"' not in visitors
    assert 'value="1" checked' in text and 'value="6" checked' not in text


def test_create_a_round(world, client, login, app):
    login(world.coordinator)
    token = csrf_token(client, "/rounds/new")
    response = client.post("/rounds/new", data=_round_form(
        token, programme_id=str(world.programme.id), visitor_id=str(world.visitor.id)))
    assert response.status_code == 302, response.get_data(as_text=True)
    made = _round_named(app, "Gorey Village")
    assert response.headers["Location"].endswith(f"/rounds/{made.id}")
    assert (made.programme_id, made.visitor_id, made.weekdays, made.area) == (
        world.programme.id, world.visitor.id, "1,3,5", "Grouville, St Martin")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Round “Gorey Village” created." in page
    assert "Monday, Wednesday, Friday" in page


def test_edit_a_round(world, client, login, app):
    login(world.coordinator)
    url = f"/rounds/{world.round.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="St Helier North"' in form
    response = client.post(url, data=_round_form(
        csrf_token(client, url), name="St Helier North (new)", area="", visitor_id=str(
            world.other_visitor.id), weekdays=["6", "2"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        changed = db.session.get(Round, world.round.id)
        assert (changed.name, changed.area, changed.visitor_id, changed.weekdays) == (
            "St Helier North (new)", "", world.other_visitor.id, "2,6")
        assert changed.programme_id == world.programme.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Round saved." in page and "Tuesday, Saturday" in page


def test_edit_can_leave_the_round_without_a_visitor(world, client, login, app):
    login(world.coordinator)
    url = f"/rounds/{world.round.id}/edit"
    response = client.post(url, data=_round_form(csrf_token(client, url), name="Quiet Round"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Round, world.round.id).visitor_id is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": "   "}, "name", None),
    ({"name": "x" * 5000}, "name", "at most 200"),
    ({"weekdays": None}, "weekdays", "Tick one or more days"),
    ({"weekdays": ["8", "zero", "1"]}, "weekdays", "Tick one or more days"),
    ({"visitor_id": "not a number"}, "visitor_id", None),
    ({"visitor_id": "999999999"}, "visitor_id", "Not a visitor of this operator."),
    ({"programme_id": ""}, "programme_id", None),
    ({"programme_id": "<script>alert(1)</script>"}, "programme_id", None),
])
def test_bad_input_is_refused_in_plain_words_and_nothing_is_saved(
        world, client, login, app, overrides, field, message):
    login(world.coordinator)
    token = csrf_token(client, "/rounds/new")
    form = _round_form(token, programme_id=str(world.programme.id), name="Refused Round")
    form.update({k: v for k, v in overrides.items() if v is not None})
    for k, v in overrides.items():
        if v is None:
            form.pop(k)
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please check the form" in text
    assert f'href="#{field}"' in text
    if message:
        assert message in text
    assert "<script>alert(1)</script>" not in text
    assert _round_named(app, "Refused Round") is None


def test_the_visitor_of_another_operator_is_refused(world, client, login, app):
    with app.app_context():
        stranger = factories.user(Role.VISITOR, db.session.get(
            type(world.other_operator), world.other_operator.id))
        db.session.commit()
        stranger_id = stranger.id
    login(world.coordinator)
    url = f"/rounds/{world.round.id}/edit"
    response = client.post(url, data=_round_form(csrf_token(client, url),
                                                 visitor_id=str(stranger_id)))
    assert response.status_code == 422
    assert "Not a visitor of this operator." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Round, world.round.id).visitor_id == world.visitor.id


def test_edit_errors_keep_what_was_typed(world, client, login):
    login(world.coordinator)
    url = f"/rounds/{world.round.id}/edit"
    response = client.post(url, data=_round_form(csrf_token(client, url), name="",
                                                 area="Kept Area", weekdays=["7"]))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'value="Kept Area"' in text and 'value="7" checked' in text


def test_another_programme_is_refused(world, client, login, app):
    login(world.coordinator)
    token = csrf_token(client, "/rounds/new")
    response = client.post("/rounds/new", data=_round_form(
        token, programme_id=str(world.other_programme.id), name="Not Mine"))
    assert response.status_code == 422
    assert _round_named(app, "Not Mine") is None


def test_other_operators_round_is_not_found(world, client, login, app):
    with app.app_context():
        other = factories.round_(db.session.get(type(world.other_programme),
                                                world.other_programme.id), name="Far Round")
        db.session.commit()
        other_id = other.id
    login(world.coordinator)
    assert client.get(f"/rounds/{other_id}/edit").status_code == 404
    token = csrf_token(client, "/rounds/new")
    response = client.post(f"/rounds/{other_id}/edit", data=_round_form(token, name="Taken"))
    assert response.status_code == 404
    assert _round_named(app, "Taken") is None


def test_visitors_may_not_create_or_change_rounds(world, client, login, app):
    login(world.visitor)
    assert client.get("/rounds/new").status_code == 403
    assert client.get(f"/rounds/{world.round.id}/edit").status_code == 403
    token = csrf_token(client, "/clients/")
    response = client.post(f"/rounds/{world.round.id}/edit", data=_round_form(token, name="Mine"))
    assert response.status_code == 403
    response = client.post("/rounds/new", data=_round_form(
        token, programme_id=str(world.programme.id), name="Mine"))
    assert response.status_code == 403
    assert _round_named(app, "Mine") is None


def test_a_form_without_its_csrf_token_is_refused(world, client, login, app):
    login(world.coordinator)
    response = client.post("/rounds/new", data=_round_form(
        "", programme_id=str(world.programme.id), name="No Token"))
    assert response.status_code == 400
    assert _round_named(app, "No Token") is None


# --- Where people start ---------------------------------------------------------------------


def test_home_sends_each_person_to_their_starting_page(world, client, login, app):
    with app.app_context():
        pharmacy = factories.organisation(OrganisationKind.HEALTH, name="Corner Pharmacy")
        pharmacist = factories.user(Role.PROVIDER, pharmacy)
        community = factories.user(Role.PROVIDER, db.session.get(
            type(world.food_bank), world.food_bank.id))
        db.session.commit()
    expected = [(world.visitor, "/round/"), (world.coordinator, "/dashboard/"),
                (world.admin, "/dashboard/"), (pharmacist, "/provider/"),
                (community, "/provider/"), (world.tutor, "/tutor/")]
    for user, target in expected:
        with client.session_transaction() as session:
            session.clear()
        login(user)
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(target), (user.role, response.headers)
        assert client.get(target).status_code == 200


def test_navigation_offers_the_round_pages_by_role(world, client, login):
    login(world.coordinator)
    nav = client.get("/clients/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/round/"' in nav and 'href="/rounds/"' in nav
    with client.session_transaction() as session:
        session.clear()
    login(world.visitor)
    nav = client.get("/clients/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/round/"' in nav and 'href="/rounds/"' not in nav
    with client.session_transaction() as session:
        session.clear()
    login(world.provider)
    nav = client.get("/clients/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/round/"' not in nav and 'href="/rounds/"' not in nav
