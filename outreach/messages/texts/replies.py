"""Our answers to texts people send in, in the sender's language."""

from outreach.enums import Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

TEXTS: dict[str, dict[Language, str]] = {}
