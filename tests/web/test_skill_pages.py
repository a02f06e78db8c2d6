"""The skills checklist page: coordinators add items and retire ones no longer taught."""

from __future__ import annotations

from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.literacy.models import Skill
from outreach.literacy.services import DEFAULT_SKILLS
from tests.conftest import csrf_token
from tests.literacy import factories as lf


def _programme(app, world) -> int:
    with app.app_context():
        made = lf.literacy_programme(db.session.merge(world.operator), name="Get Online")
        db.session.commit()
        return made.id


def _names(app, programme_id: int) -> list[tuple[str, bool]]:
    with app.app_context():
        return [(s.name, s.active) for s in db.session.scalars(
            select(Skill).where(Skill.programme_id == programme_id)
            .order_by(Skill.position, Skill.id))]


def test_the_page_shows_the_programmes_default_checklist(app, world, client, login):
    programme_id = _programme(app, world)
    login(world.coordinator)
    page = client.get(f"/programmes/{programme_id}/skills").get_data(as_text=True)
    assert all(name in page for name in DEFAULT_SKILLS)
    assert [n for n, _ in _names(app, programme_id)] == DEFAULT_SKILLS


def test_a_coordinator_adds_a_skill_and_a_repeat_is_refused(app, world, client, login):
    programme_id = _programme(app, world)
    login(world.coordinator)
    url = f"/programmes/{programme_id}/skills"
    token = csrf_token(client, url)
    added = client.post(url, data={"name": "  Read my test results online ",
                                   "csrf_token": token})
    assert added.status_code == 302
    assert _names(app, programme_id)[-1] == ("Read my test results online", True)
    again = client.post(url, data={"name": "read my TEST results online", "csrf_token": token})
    assert again.status_code == 409
    assert "already on the checklist" in again.get_data(as_text=True)
    blank = client.post(url, data={"name": "   ", "csrf_token": token})
    assert blank.status_code == 422
    huge = client.post(url, data={"name": "x" * 500, "csrf_token": token})
    assert huge.status_code == 422
    assert len(_names(app, programme_id)) == len(DEFAULT_SKILLS) + 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "skill.create")) is not None


def test_retiring_and_bringing_back_a_skill(app, world, client, login):
    programme_id = _programme(app, world)
    login(world.coordinator)
    client.get(f"/programmes/{programme_id}/skills")
    with app.app_context():
        skill = db.session.scalar(select(Skill).where(Skill.programme_id == programme_id,
                                                      Skill.name == "Spot a scam"))
    token = csrf_token(client, f"/programmes/{programme_id}/skills")
    client.post(f"/skills/{skill.id}/active", data={"active": "0", "csrf_token": token})
    assert ("Spot a scam", False) in _names(app, programme_id)
    client.post(f"/skills/{skill.id}/active", data={"active": "1", "csrf_token": token})
    assert ("Spot a scam", True) in _names(app, programme_id)


def test_a_tutor_and_another_operator_cannot_change_the_checklist(app, world, client, login):
    programme_id = _programme(app, world)
    for user in (world.tutor, world.other_coordinator):
        with client.session_transaction() as session:
            session.clear()
        login(user)
        assert client.get(f"/programmes/{programme_id}/skills").status_code == 403
