"""The visits' pages: rounds, visit plans and pauses for coordinators, and the visitor's round
with its visit form.

Each part keeps its own blueprint (and address prefix), nested in the feature's: the round's
pages let the service worker script load without a login; the feature's blueprint adds no hooks
of its own, which its parts would inherit.
"""

from __future__ import annotations

from flask import Blueprint

from outreach.visits.views import plans, visitor

bp = Blueprint("visits", __name__)
for part in (plans, visitor):
    bp.register_blueprint(part.bp)
