"""The digital-literacy pages: workshops and their sessions, the tutor's register and learners,
skills, invitations from a need, the programme's report, and the public sign-up form.

Each part keeps its own blueprint, nested in the feature's, because the sign-up form is public
(with its own answers to a 429 or an expired form) while the rest ask for a login; the feature's
blueprint adds no hooks of its own, which its parts would inherit.
"""

from __future__ import annotations

from flask import Blueprint

from outreach.literacy.views import invites, report, signup, skills, tutors, workshops

bp = Blueprint("literacy", __name__)
for part in (workshops, tutors, skills, invites, report, signup):
    bp.register_blueprint(part.bp)
