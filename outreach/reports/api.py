"""API: the programme dashboard's figures as JSON, the same as its page shows."""

from __future__ import annotations

from outreach.api import Blueprint
from outreach.enums import Role
from outreach.reports import dashboard
from outreach.reports.dashboard_schemas import DashboardQuery, SummaryOut

blp = Blueprint("reports_api", __name__)


@blp.operation("/reports/summary", summary="A programme's evaluation dashboard", tag="reports",
               query=DashboardQuery, response=SummaryOut, roles=[Role.ADMIN, Role.COORDINATOR])
def summary(user, params):
    """Clients, visits, no-answers, needs, escalations, provider usefulness, texts, wellbeing,
    satisfaction and cost of a programme over local dates (both included; the last 12 months
    by default), for its clients in a parish or on a round when given."""
    return dashboard.build(dashboard.scope_for(user, params))
