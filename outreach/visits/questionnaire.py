"""The check-in questions a visitor asks, and how the answers become needs.

A questionnaire is a list of questions; each option of a question may name the need it raises
(category and severity), so a programme's own versions carry their rules with them and an old
visit is always read with the version it was answered in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from outreach.db import db
from outreach.enums import NeedCategory, NeedSeverity
from outreach.errors import ValidationFailed
from outreach.programmes.models import Programme
from outreach.visits.models import Questionnaire

CHOICE = "choice"  # one option
MULTI = "multi"  # any number of options; none ticked means "no"


def _option(value: str, label: str, category: NeedCategory | None = None,
            severity: NeedSeverity | None = None) -> dict:
    option = {"value": value, "label": label}
    if category is not None:
        option["need"] = {"category": category.value, "severity": severity.value}
    return option


DEFAULT_VERSION = 1
DEFAULT_QUESTIONS: list[dict] = [
    {"id": "feeling", "text": "How are you feeling today?", "kind": CHOICE, "options": [
        _option("good", "Good"),
        _option("all_right", "All right"),
        _option("not_good", "Not good", NeedCategory.OTHER, NeedSeverity.ROUTINE),
    ]},
    {"id": "falls_pain_illness", "text": "Any falls, pain or illness?", "kind": MULTI,
     "options": [
         _option("fall", "A fall", NeedCategory.FALL, NeedSeverity.URGENT),
         _option("pain", "Pain", NeedCategory.PAIN_OR_ILLNESS, NeedSeverity.SOON),
         _option("illness", "Illness", NeedCategory.PAIN_OR_ILLNESS, NeedSeverity.SOON),
     ]},
    {"id": "eating_medicines", "text": "Are you eating and taking your medicines?",
     "kind": MULTI, "options": [
         _option("not_eating", "Not eating well", NeedCategory.FOOD_OR_SHOPPING,
                 NeedSeverity.SOON),
         _option("not_taking_medicines", "Not taking medicines", NeedCategory.MEDICATION,
                 NeedSeverity.SOON),
     ]},
    {"id": "help_with", "text": "Do you need help with anything?", "kind": MULTI, "options": [
        _option("shopping", "Shopping", NeedCategory.FOOD_OR_SHOPPING, NeedSeverity.ROUTINE),
        _option("transport", "Transport", NeedCategory.TRANSPORT, NeedSeverity.ROUTINE),
        _option("home_or_heating", "Home or heating", NeedCategory.HOME_OR_HEATING,
                NeedSeverity.ROUTINE),
        _option("money", "Money", NeedCategory.MONEY, NeedSeverity.ROUTINE),
        _option("personal_care", "Personal care", NeedCategory.PERSONAL_CARE,
                NeedSeverity.ROUTINE),
        _option("getting_online", "Getting online", NeedCategory.DIGITAL_HELP,
                NeedSeverity.ROUTINE),
    ]},
    {"id": "lonely", "text": "Have you felt lonely?", "kind": CHOICE, "options": [
        _option("no", "No"),
        _option("sometimes", "Sometimes"),
        _option("often", "Often", NeedCategory.LONELINESS, NeedSeverity.ROUTINE),
    ]},
]


@dataclass(frozen=True)
class Version:
    """One version of a programme's check-in questions."""

    version: int
    questions: list[dict]

    def question(self, question_id: str) -> dict | None:
        return next((q for q in self.questions if q["id"] == question_id), None)


@dataclass(frozen=True)
class NeedToRaise:
    category: NeedCategory
    severity: NeedSeverity
    description: str


DEFAULT = Version(DEFAULT_VERSION, DEFAULT_QUESTIONS)
_RANK = {NeedSeverity.URGENT: 0, NeedSeverity.SOON: 1, NeedSeverity.ROUTINE: 2}


def current(programme: Programme) -> Version:
    """The programme's newest questionnaire, or the default one when it has none of its own."""
    row = db.session.scalar(select(Questionnaire).where(
        Questionnaire.programme_id == programme.id).order_by(Questionnaire.version.desc())
        .limit(1))
    return Version(row.version, row.questions) if row is not None else DEFAULT


def version(programme: Programme, number: int | None) -> Version:
    """A given version of the programme's questions (None: the current one); unknown is a 422."""
    if number is None:
        return current(programme)
    row = db.session.scalar(select(Questionnaire).where(
        Questionnaire.programme_id == programme.id, Questionnaire.version == number))
    if row is not None:
        return Version(row.version, row.questions)
    if number == DEFAULT_VERSION and current(programme) is DEFAULT:
        return DEFAULT
    raise ValidationFailed(
        f"Questionnaire version {number} does not exist for this programme; the current "
        f"version is {current(programme).version}. Reload the form and answer it again.",
        fields={"questionnaire_version": [f"Unknown version {number}."]},
        code="unknown_questionnaire_version")


def lookup_columns(programme_id, number) -> tuple:
    """Columns finding what `version` looks for, for a caller to fetch them with other things
    in one statement and then pass the row's values to `from_lookup`. The arguments may be
    values or bind parameters; `number` None asks for the newest version."""
    query = select(Questionnaire.version).where(Questionnaire.programme_id == programme_id)
    if number is None:
        query = query.order_by(Questionnaire.version.desc()).limit(1)
    else:
        query = query.where(Questionnaire.version == number)
    return (query.scalar_subquery().label("questionnaire_version"),
            query.with_only_columns(Questionnaire.questions).scalar_subquery()
            .label("questionnaire_questions"))


def from_lookup(programme: Programme, number: int | None, found: int | None,
                questions: list | None) -> Version:
    """What `version(programme, number)` answers, given what `lookup_columns` found."""
    if found is not None:
        return Version(found, questions)
    if number is None:
        return DEFAULT  # the programme has no questionnaire of its own
    return version(programme, number)  # the default version, or the 422 that explains


def check_answers(questions: Version, answers: dict) -> dict:
    """The answers, checked against the questions; refused with a message per question."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for question_id, answer in answers.items():
        question = questions.question(question_id)
        if question is None:
            errors[question_id] = ["Not a question of this questionnaire."]
            continue
        allowed = {o["value"] for o in question["options"]}
        if question["kind"] == MULTI:
            if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
                errors[question_id] = ["Give a list of the options that apply."]
            elif not set(answer) <= allowed or len(set(answer)) != len(answer):
                errors[question_id] = ["Unknown or repeated option."]
            else:
                clean[question_id] = [o["value"] for o in question["options"]
                                      if o["value"] in answer]
        elif answer is None:
            continue  # not asked, or not answered
        elif not isinstance(answer, str) or answer not in allowed:
            errors[question_id] = [f"Choose one of: {', '.join(sorted(allowed))}."]
        else:
            clean[question_id] = answer
    if errors:
        raise ValidationFailed("Some answers are not valid.", fields={"answers": errors})
    return clean


def needs_from_answers(questions: Version, answers: dict) -> list[NeedToRaise]:
    """The needs the answers indicate: one per category, at the most pressing severity."""
    found: dict[NeedCategory, NeedToRaise] = {}
    for question in questions.questions:
        answer = answers.get(question["id"])
        chosen = answer if isinstance(answer, list) else [answer] if answer else []
        for option in question["options"]:
            rule = option.get("need")
            if option["value"] not in chosen or not rule:
                continue
            category, severity = NeedCategory(rule["category"]), NeedSeverity(rule["severity"])
            said = f"{question['text']} {option['label']}."
            earlier = found.get(category)
            if earlier is None:
                found[category] = NeedToRaise(category, severity, said)
            else:
                worst = min(earlier.severity, severity, key=_RANK.__getitem__)
                found[category] = NeedToRaise(category, worst, f"{earlier.description} {said}")
    return list(found.values())


def with_note(needs: list[NeedToRaise], note: str) -> list[NeedToRaise]:
    """`needs` with the visitor's note added to the most pressing one (the first of equals)."""
    first = min(range(len(needs)), key=lambda i: _RANK[needs[i].severity])
    pressing = needs[first]
    noted = NeedToRaise(pressing.category, pressing.severity,
                        f"{pressing.description} Visitor's note: {note}")
    return [noted if i == first else need for i, need in enumerate(needs)]
