"""Outcome measures collected in the normal workflow: loneliness, wellbeing, satisfaction."""


def init_app(app) -> None:
    """Wire evaluation into `app`: answers texted to its questions (a run of them within
    minutes is a person answering, not a loop), and what it holds about a client."""
    from outreach.enums import InboundMeaning
    from outreach.evaluation import personal_data, sms
    from outreach.messages import loop_guard, understanding
    from outreach.people import subject_access

    understanding.register("survey answer", sms.survey_answer)
    loop_guard.allow_answers(InboundMeaning.SURVEY_ANSWER, sms.ANSWERS_IN_A_RUN)
    subject_access.declare_holdings("evaluation", personal_data.declare)
