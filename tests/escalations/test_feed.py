"""The pull feed (`GET /api/v1/escalations?since=`): every event of the caller's organisation,
in order, once (concurrent writers: test_feed_concurrency.py)."""

from __future__ import annotations

from outreach.db import db
from outreach.escalations import feed
from outreach.needs.services import create_need
from outreach.people.models import Client


def _drain(api, since: str = "", limit: int = 3) -> tuple[list[dict], str]:
    """Read the feed page by page from `since` to its end: (items, the cursor to go on from)."""
    items: list[dict] = []
    while True:
        response = api.get("/escalations", query_string={"since": since, "limit": limit})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["next_cursor"]  # always given, so a poller can carry on
        items += body["items"]
        if body["next_cursor"] == since or not body["items"]:
            return items, body["next_cursor"]
        since = body["next_cursor"]


def test_the_feed_gives_each_event_once_in_order_with_its_escalation(app, api_as, setting):
    with app.app_context():
        setting.share_with_everyone()
        for category in ("food_or_shopping", "food_or_shopping", "transport"):
            create_need(None, db.session.get(Client, setting.mary.id), category, "soon",
                        "Asked at the door", "visit")
        db.session.commit()
        feed.sequence_committed()  # as the end of a request or job does
    food = api_as(setting.food_bank_user)
    items, cursor = _drain(food, limit=1)
    # The food bank's escalation: created, then joined by the repeat; nothing of transport's.
    assert [(i["kind"], i["escalation"]["category"]) for i in items] == [
        ("created", "food_or_shopping"), ("joined", "food_or_shopping")]
    assert all(i["escalation"]["organisation_id"] == setting.food_bank.id for i in items)
    assert [i["cursor"] for i in items][-1] == cursor
    # Polling again from the cursor: nothing new, and the same cursor back.
    again = food.get("/escalations", query_string={"since": cursor}).get_json()
    assert again == {"items": [], "next_cursor": cursor}
    escalation_id = items[0]["escalation"]["id"]
    food.post(f"/escalations/{escalation_id}/acknowledge", json={})
    newer, _ = _drain(food, since=cursor)
    assert [(i["kind"], i["escalation"]["status"]) for i in newer] == [
        ("acknowledged", "acknowledged")]


def test_the_feed_starts_at_the_beginning_and_refuses_cursors_it_did_not_make(app, api_as,
                                                                             setting):
    api = api_as(setting.coordinator)
    assert api.get("/escalations", query_string={"since": "0"}).status_code == 200
    for bad in ("nonsense", "MTIz", "LTEuMg", "OTk5OTk5OTk5OTk5OTk5OTk5OTkuMQ", "%00", "a" * 5000):
        response = api.get("/escalations", query_string={"since": bad})
        assert response.status_code == 400, bad
        assert "since" in response.get_json()["error"]["fields"]


def test_visitors_and_tutors_have_no_feed(app, api_as, world):
    for user in (world.visitor, world.tutor):
        assert api_as(user).get("/escalations", query_string={"since": ""}).status_code == 403
