"""The reports' pages: the coordinator's dashboard, the evaluation dashboard and the partner
reports.

Each part keeps its own blueprint (and address prefix), nested in the feature's, because each
guards its pages its own way (a login, or a login and a manager's role); the feature's blueprint
adds no hooks of its own, which its parts would inherit.
"""

from __future__ import annotations

from flask import Blueprint

from outreach.reports.views import dashboard, evaluation, partners

bp = Blueprint("reports", __name__)
for part in (dashboard, evaluation, partners):
    bp.register_blueprint(part.bp)
