"""Following a `next` given in a URL: only ever to a page of this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Control characters, spaces and backslashes: browsers drop tabs and line ends from a URL and
# read a backslash as a slash (so "/\t/evil.example" is "//evil.example" to them), and a line
# end in a Location header would split the answer's headers.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site (e.g. "/clients/?page=2"), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if _UNSAFE.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
