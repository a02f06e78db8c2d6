"""Outcome measures collected in the normal workflow: loneliness, wellbeing, satisfaction."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire evaluation into `app`: its pages; answers texted to its questions (a run of them within
    minutes is a person answering, not a loop), and what it holds about a client."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach.enums import InboundMeaning
    from outreach.evaluation import personal_data, sms, views
    from outreach.messages import loop_guard, understanding
    from outreach.people import subject_access
    from outreach.web import pages

    understanding.register("survey answer", sms.survey_answer)
    loop_guard.allow_answers(InboundMeaning.SURVEY_ANSWER, sms.ANSWERS_IN_A_RUN)
    subject_access.declare_holdings("evaluation", personal_data.declare)
    pages.register(app, views.bp)
