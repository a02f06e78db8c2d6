"""Digital literacy: workshops, their sessions, enrolment, attendance and skills."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire literacy into `app`: its pages; a tutor sees the learners of their workshops, the texts
    it understands, a place offered from the waiting list texted to the learner, and what it
    holds about a client."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach import events
    from outreach.auth.access import register_client_scope
    from outreach.enums import Role
    from outreach.literacy import access, personal_data, sms, views
    from outreach.messages import understanding
    from outreach.people import subject_access
    from outreach.web import pages

    register_client_scope(access.learners_of_own_workshops, Role.TUTOR)
    understanding.register("workshop place taken", sms.place_taken)
    understanding.register("workshop text", sms.workshop_text)
    understanding.register("workshop follow-up", sms.follow_up)
    understanding.register_digit_question("workshop follow-up", sms.follow_up_asked_at)
    events.connect(events.place_offered, sms.text_offer)
    subject_access.declare_holdings("literacy", personal_data.declare)
    pages.register(app, views.bp)
