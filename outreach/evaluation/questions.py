"""The outcome-measure questions as the visitor and the coordinator read them out, in English.

The wordings are the standard ones (UCLA 3-item loneliness scale; ONS-4 personal wellbeing), so
answers compare with published figures; changing a word changes the measure. The texts sent by
SMS, in the clients' four languages, live with the SMS texts; these are the on-screen ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.evaluation.models import MeasureKind


@dataclass(frozen=True)
class Question:
    item: str  # the OutcomeMeasure column the answer is stored in
    text: str
    options: tuple[tuple[int, str], ...]  # (value stored, what the person hears)


UCLA_OPTIONS = ((1, "Hardly ever"), (2, "Some of the time"), (3, "Often"))
# ONS-4 is answered on an 11-point scale; only its two ends are named.
ONS_OPTIONS = tuple((n, {0: "0 Not at all", 10: "10 Completely"}.get(n, str(n)))
                    for n in range(11))
SATISFACTION_OPTIONS = ((1, "Very dissatisfied"), (2, "Dissatisfied"),
                        (3, "Neither satisfied nor dissatisfied"), (4, "Satisfied"),
                        (5, "Very satisfied"))

UCLA_INTRO = ("The next questions are about how you feel about different parts of your life. "
              "For each one, say how often you feel that way.")
ONS_INTRO = ("For each of these, answer on a scale from 0 to 10, where 0 is “not at all” and 10 "
             "is “completely”.")

WELLBEING = (
    Question("ucla_companionship", "How often do you feel that you lack companionship?",
             UCLA_OPTIONS),
    Question("ucla_left_out", "How often do you feel left out?", UCLA_OPTIONS),
    Question("ucla_isolated", "How often do you feel isolated from others?", UCLA_OPTIONS),
    Question("ons_life_satisfaction",
             "Overall, how satisfied are you with your life nowadays?", ONS_OPTIONS),
    Question("ons_worthwhile", "Overall, to what extent do you feel that the things you do in "
             "your life are worthwhile?", ONS_OPTIONS),
    Question("ons_happy", "Overall, how happy did you feel yesterday?", ONS_OPTIONS),
    Question("ons_anxious", "Overall, how anxious did you feel yesterday?", ONS_OPTIONS),
)
SATISFACTION = (
    Question("satisfaction", "Overall, how satisfied are you with the visits and calls you get "
             "from us?", SATISFACTION_OPTIONS),
)
# Read out before the question of this item (the start of each scale).
INTROS = {"ucla_companionship": UCLA_INTRO, "ons_life_satisfaction": ONS_INTRO}
QUESTIONS = {MeasureKind.WELLBEING: WELLBEING, MeasureKind.SATISFACTION: SATISFACTION}

def questions_for(kind: MeasureKind | str) -> tuple[Question, ...]:
    """The questions of one kind of measure, in the order they are asked."""
    return QUESTIONS[MeasureKind(kind)]

