"""A page of escalations, or of feed events, costs a fixed number of queries however many rows
it shows (the bench's queue and feed figures depend on it), and still shows every need."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from outreach.db import db, utcnow
from outreach.enums import EscalationEventKind
from outreach.escalations import disclosure, feed, queries, services
from outreach.escalations.models import EscalationNeed
from outreach.escalations.schemas import EscalationOut
from outreach.people.models import Client
from tests import factories


@contextmanager
def counted():
    """Collect the queries (SELECTs) run inside the block. Writes are left out: a listing
    audits each client shown, one row each, which is meant."""
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _escalations(setting, first: int, count: int) -> None:
    """Food escalations about clients `first` to `first + count - 1`, each different; client 0
    is Mary, whose escalation also carries a repeat report."""
    for n in range(first, first + count):
        client = (setting.mary if n == 0 else
                  factories.client(setting.programme, full_name=f"Client {n}"))
        made = factories.escalation(client, setting.food_bank)
        if n == 0:
            repeat = factories.need(client, description="Said it again")
            db.session.add(EscalationNeed(escalation_id=made.id, need_id=repeat.id))
            services.record_event(made, EscalationEventKind.JOINED)
    db.session.commit()
    feed.sequence_committed()


def _statements(app, api, path: str, **query) -> tuple[int, dict]:
    with app.app_context(), counted() as statements:
        response = api.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return len(statements), response.get_json()


def test_the_escalation_list_reads_as_much_for_2_rows_as_for_12(app, api_as,
                                                                         setting):
    food = api_as(setting.food_bank_user)
    with app.app_context():
        _escalations(setting, 0, 2)
    few, body = _statements(app, food, "/escalations")
    assert len(body["items"]) == 2
    with app.app_context():
        _escalations(setting, 2, 10)
    many, body = _statements(app, food, "/escalations")
    assert len(body["items"]) == 12
    assert many == few
    first = body["items"][0]
    assert first["client"]["full_name"] == "Mary Le Brun"
    assert [n["description"] for n in first["needs"]] == ["Needs help with shopping",
                                                          "Said it again"]


def test_a_feed_page_reads_as_much_for_3_events_as_for_13(app, api_as, setting):
    food = api_as(setting.food_bank_user)
    with app.app_context():
        _escalations(setting, 0, 2)
    few, body = _statements(app, food, "/escalations", since="0")
    assert len(body["items"]) == 3  # two created, one joined
    with app.app_context():
        _escalations(setting, 2, 10)
    many, body = _statements(app, food, "/escalations", since="0")
    assert len(body["items"]) == 13
    assert many == few
    joined = [i for i in body["items"] if i["kind"] == "joined"]
    assert [n["description"] for n in joined[0]["escalation"]["needs"]] == [
        "Needs help with shopping", "Said it again"]


def test_the_live_queue_loads_clients_and_needs_with_the_page(app, setting):
    with app.app_context():
        _escalations(setting, 0, 5)
        db.session.expunge_all()
        rows = db.session.scalars(queries.live_queue(setting.food_bank_user, utcnow())).all()
        # As the API does: who may see which client is judged for the whole page first.
        with disclosure.speaking_to(setting.food_bank.id):
            disclosure.judge_many(setting.food_bank.id, {row.client_id for row in rows})
            with counted() as statements:
                dumped = EscalationOut(many=True).dump(rows)
        assert statements == []
        assert len(dumped) == 5
        assert {d["client"]["full_name"] for d in dumped} >= {"Mary Le Brun", "Client 4"}


def test_an_escalation_not_loaded_with_a_page_shows_a_need_joined_since(app, setting):
    with app.app_context():
        setting.share_with_everyone()
        mary = db.session.get(Client, setting.mary.id)
        made = factories.escalation(mary, setting.food_bank)
        assert [n["id"] for n in EscalationOut().dump(made)["needs"]] == [made.need_id]
        repeat = factories.need(mary, description="Said it again")
        db.session.add(EscalationNeed(escalation_id=made.id, need_id=repeat.id))
        db.session.flush()
        assert [n["id"] for n in EscalationOut().dump(made)["needs"]] == [made.need_id,
                                                                           repeat.id]
