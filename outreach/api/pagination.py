"""Keyset pagination: the one way every list pages, whatever its key.

A page is read by asking for one row more than it holds (that row says whether another page
follows) after the key of the last row shown. The cursor that carries that key is opaque to
callers: base64url without padding, of text each kind of list writes and reads back itself
(an id's digits for most lists, a visit's UUID, a feed position, a FHIR sort key). A cursor the
server did not make is refused with a 400, never read as "from the start".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from marshmallow import Schema
from sqlalchemy import Select

from outreach.db import db
from outreach.errors import APIError
from outreach.schemas import MAX_ID

# A cursor is an id's decimal digits in unpadded base64url: each three digits are four of these
# characters, and one or two digits left over are two or three. Written out so that the OpenAPI
# document can say exactly which cursors the server takes.
_LEAD = "(?:[MN][DTjz]|O[DT])"
_MIDDLE = "[AEIMQUYcgk]"
CURSOR_PATTERN = (f"^(?:{_LEAD}{_MIDDLE}[w-z0-5])*"
                  f"(?:(?:[MN][AQgw]|O[AQ])|{_LEAD}{_MIDDLE})?$")
_CURSOR = re.compile(CURSOR_PATTERN)
CURSOR_MAX_LENGTH = 64


@dataclass
class Page:
    items: list
    next_cursor: str | None
    # Dump the items with this schema instead of the operation's (one of its alternatives).
    schema: type[Schema] | None = None


def encode_text(text: str) -> str:
    """A cursor carrying `text`."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_text(raw: str) -> str | None:
    """The text a cursor carries, or None when it is not base64url of UTF-8 at all."""
    try:
        return base64.urlsafe_b64decode(raw.encode() + b"==").decode()
    except (ValueError, binascii.Error, UnicodeError):
        return None


def bad_cursor() -> APIError:
    return APIError("The cursor is not valid.", fields={"cursor": ["Not a valid cursor."]})


def decode_cursor(raw: str | None) -> int:
    """The id a page cursor stands for (0 for none); a cursor we did not make is a 400."""
    if not raw:
        return 0
    if len(raw) > CURSOR_MAX_LENGTH or not _CURSOR.fullmatch(raw):
        raise bad_cursor()
    text = decode_text(raw)
    if text is None:  # pragma: no cover - the pattern admits only digits' encodings
        raise bad_cursor()
    # Past the id column's range there is nothing to page through, and the database would
    # refuse the number: the last id that fits stands for it.
    return min(int(text), MAX_ID)


def encode_cursor(value: int) -> str:
    return encode_text(str(value))


@dataclass(frozen=True)
class Cursor:
    """How one kind of list writes the key of its last row and reads it back (raising a 400
    for a cursor it did not write)."""

    read: Callable[[str], Any]
    write: Callable[[Any], str]


# 0 (a cursor for nothing before the first id) reads as no cursor at all.
BY_ID = Cursor(read=lambda raw: decode_cursor(raw) or None, write=encode_cursor)


def page_size() -> int:
    """The `limit` asked for (the configured default when none): 1 to API_MAX_PAGE_SIZE."""
    raw = request.args.get("limit")
    default = current_app.config["API_PAGE_SIZE"]
    if raw is None:
        return default
    largest = current_app.config["API_MAX_PAGE_SIZE"]
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= largest:
        raise APIError(f"limit must be a whole number from 1 to {largest}.",
                       fields={"limit": ["Out of range."]})
    return int(raw)


def check_paging() -> None:
    """Refuse a bad `limit` or `cursor` even on a list that fits on one page (and so never
    reads them), as every list declares them."""
    page_size()
    decode_cursor(request.args.get("cursor"))


def split(rows: Sequence, size: int) -> tuple[list, bool]:
    """A page of `size` from `size + 1` rows read, and whether another page follows."""
    return list(rows[:size]), len(rows) > size


def rows_after(query: Select, key, after, size: int, *,
               descending: bool = False) -> tuple[list, bool]:
    """Up to `size` rows of `query` past the key `after` (None: from the start) in the key's
    order, and whether more follow."""
    if after is not None:
        query = query.where(key < after if descending else key > after)
    ordered = query.order_by(key.desc() if descending else key).limit(size + 1)
    return split(list(db.session.scalars(ordered)), size)


def paginate(query: Select, key, *, descending: bool = False, cursor: Cursor = BY_ID) -> Page:
    """The page of `query` the request's `cursor` and `limit` ask for, ordered by `key` (a
    unique column: increasing ids unless told otherwise)."""
    raw = request.args.get("cursor")
    after = cursor.read(raw) if raw else None
    rows, more = rows_after(query, key, after, page_size(), descending=descending)
    return Page(rows, cursor.write(getattr(rows[-1], key.key)) if more and rows else None)


def listed(items) -> Page:
    """Everything at once, for a list too short ever to page (its paging still checked)."""
    check_paging()
    return Page(list(items), None)
