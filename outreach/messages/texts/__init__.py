"""Every text we send, as a template per language, chosen by the recipient's language.

Templates are `str.format` strings with named fields. `outbound.py` holds what we send on our
own initiative, `replies.py` our answers to texts people send in. Every template exists in
English, Portuguese, Polish and French, with the same fields (tests check both).
"""

from __future__ import annotations

import logging
import string

from channels.sms import segments
from outreach.enums import Language
from outreach.messages.texts import outbound, replies

log = logging.getLogger(__name__)

TEXTS: dict[str, dict[Language, str]] = {**outbound.TEXTS, **replies.TEXTS}
_WARNED: set[tuple[str, Language]] = set()


class MissingText(KeyError):
    """No template of that name: a programming error, not bad input."""


def fields_of(template: str) -> set[str]:
    """The named fields a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(key: str, language: Language | str | None, **values) -> str:
    """The text `key` in `language` (English when it has no such language), filled in."""
    try:
        versions = TEXTS[key]
    except KeyError as exc:
        raise MissingText(key) from exc
    try:
        chosen = Language(language) if language else Language.ENGLISH
    except ValueError:
        chosen = Language.ENGLISH
    text = versions.get(chosen) or versions[Language.ENGLISH]
    body = text.format(**values)
    parts = segments.count(body)
    if not parts.single and (key, chosen) not in _WARNED:
        # Worth knowing (each part is billed) but not worth refusing: the log says which, once
        # per template and language, not at every daily check-in.
        _WARNED.add((key, chosen))
        log.warning("Text %s in %s needs %d segments (%s)", key, chosen.value, parts.count,
                    parts.encoding)
    return body
