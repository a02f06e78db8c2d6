"""CSV downloads that open safely in a spreadsheet: sections of titled tables, formula-proof.

A cell that starts like a formula (=, +, -, @, tab, carriage return) would be run by the
spreadsheet that opens it (CSV injection): such a cell is written with a leading apostrophe,
which spreadsheets show as text. The byte-order mark makes Excel read the file as UTF-8.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """A value as a spreadsheet should show it: text that looks like a formula stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


class Sections:
    """CSV text made of titled tables with a blank line between them."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def table(self, header: Sequence[str], rows: Iterable[Sequence], title: str | None = None
              ) -> Sections:
        """Add one table (with its title on a line of its own, when it has one)."""
        if title is not None:
            self._writer.writerow([title])
        self._writer.writerow(header)
        self._writer.writerows([safe_cell(v) for v in row] for row in rows)
        self._writer.writerow([])
        return self

    def text(self) -> str:
        """The CSV so far."""
        return self._out.getvalue()


def slug(name: str, fallback: str = "programme") -> str:
    """A name made safe for a file name: lower case, letters and digits, hyphens between."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or fallback


def csv_download(text: str, filename: str) -> Response:
    """`text` as a CSV attachment named `filename`."""
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
