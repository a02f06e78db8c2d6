"""Server-rendered pages for people: login, and the coordinator's client pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from outreach.people import phones


def init_app(app: Flask) -> None:
    from outreach.web import (
        auth_views,
        care_views,
        client_views,
        dashboard_views,
        message_views,
        plan_views,
        visitor_views,
    )

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(client_views.bp)
    app.register_blueprint(visitor_views.bp)
    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(care_views.bp)
    app.register_blueprint(plan_views.bp)
    app.register_blueprint(message_views.bp)
    from outreach.web import escalation_views

    app.register_blueprint(escalation_views.bp)
    from outreach.web import coordination_views, routing_views

    app.register_blueprint(coordination_views.bp)
    app.register_blueprint(routing_views.bp)
    from outreach.web import literacy_report_views

    app.register_blueprint(literacy_report_views.bp)
    from outreach.web import (
        literacy_views,
        signup_views,
        skill_views,
        tutor_views,
        workshop_views,
    )

    for module in (literacy_views, workshop_views, tutor_views, signup_views, skill_views):
        app.register_blueprint(module.bp)
    from outreach.web import measure_views

    app.register_blueprint(measure_views.bp)
    from outreach.web import partner_report_views

    app.register_blueprint(partner_report_views.bp)
    from outreach.web import evaluation_views

    app.register_blueprint(evaluation_views.bp)
    from outreach.web import programme_views

    app.register_blueprint(programme_views.bp)
    from outreach.web import account_views

    app.register_blueprint(account_views.bp)
    from outreach.web.forms import field_label

    app.jinja_env.filters["phone"] = phones.display
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["zip"] = lambda left, right: list(zip(left, right, strict=True))


def local_time(moment: datetime, timezone: str) -> datetime:
    """An aware UTC time as it was on the programme's clocks (dates shown are local dates)."""
    return moment.astimezone(ZoneInfo(timezone))
