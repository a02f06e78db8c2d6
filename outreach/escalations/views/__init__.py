"""The escalations' pages: a provider's queue and an escalation's page, the coordinators'
overview, the routing rules, and the token-only Atom feed and FHIR reads.

Each part keeps its own blueprint, nested in the feature's, because each guards its pages its
own way (a login, or a bearer token and never the session); the feature's blueprint adds no
hooks of its own, which its parts would inherit.
"""

from __future__ import annotations

from flask import Blueprint

from outreach.escalations import atom, fhir
from outreach.escalations.views import overview, queue, routing

bp = Blueprint("escalations", __name__)
for part in (queue, overview, routing, atom, fhir):
    bp.register_blueprint(part.bp)
