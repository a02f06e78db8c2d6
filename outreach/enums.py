"""Closed vocabularies from the glossary, shared by models and schemas."""

from enum import StrEnum

import sqlalchemy as sa


class OrganisationKind(StrEnum):
    OPERATOR = "operator"
    HEALTH = "health"
    COMMUNITY = "community"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VISITOR = "visitor"
    PROVIDER = "provider"
    TUTOR = "tutor"


class ProgrammeKind(StrEnum):
    CALL_AND_CHECK = "call_and_check"
    DIGITAL_LITERACY = "digital_literacy"


class Language(StrEnum):
    ENGLISH = "en"
    PORTUGUESE = "pt"
    POLISH = "pl"
    FRENCH = "fr"


class ConsentPurpose(StrEnum):
    TAKE_PART = "take_part"
    SHARE_INFORMATION = "share_information"


class ContactReceives(StrEnum):
    VISIT_REPORTS = "visit_reports"
    ALERTS = "alerts"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: a VARCHAR with a named CHECK constraint on every database."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
