"""Importing clients from a CSV file, each row checked exactly as the API checks it.

The file is read as a stream inside the caller's single transaction: the caller commits only
when the result says so, which is what makes "nothing on error" hold. Rows are checked as they
are read and written in batches (`import_batch`), a savepoint per batch, so a bad row leaves no
trace while the rest are still checked, and a large file neither fills memory nor costs a round
trip to the database for every row.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.auth.services import find_by_email
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError
from outreach.people import services
from outreach.people.import_batch import BatchWriter
from outreach.people.import_rows import CheckedRow, RowChecker

COLUMNS = (
    "full_name", "date_of_birth", "phone", "email", "address", "parish", "preferred_language",
    "lives_alone", "access_notes", "notes", "gp_practice", "programme_id",
    "contact_name", "contact_relationship", "contact_phone", "contact_email",
    "consent_take_part", "consent_share_gp",
)

# A single line beyond this is not a client record; refusing it keeps memory bounded.
MAX_LINE_BYTES = 1024 * 1024
# Rows checked, then written together: big enough that the database's round trips stop
# mattering, small enough that a batch redone row by row after a refusal is quick.
BATCH_ROWS = 1000


class ImportRefused(Exception):
    """The file as a whole cannot be imported; nothing from it was kept."""


@dataclass
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    skip_bad: bool
    rows: int = 0
    created: int = 0
    bad: list[BadRow] = field(default_factory=list)

    @property
    def keep(self) -> bool:
        """Should the caller commit? Only with no bad rows, or when told to skip them."""
        return not self.bad or self.skip_bad

    @property
    def imported(self) -> int:
        """Clients that stay once the caller has committed or rolled back as `keep` says."""
        return self.created if self.keep else 0


def resolve_actor(email: str | None) -> User:
    """The user the import acts as: the one named, else the first active administrator."""
    if email:
        user = find_by_email(email)
        if user is None or not user.active:
            raise ImportRefused(f"No active user with email {email}.")
        if user.role not in (Role.ADMIN, Role.COORDINATOR):
            raise ImportRefused("Only an administrator or a coordinator can import clients.")
        return user
    user = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                             .order_by(User.id).limit(1))
    if user is None:
        raise ImportRefused("There is no active administrator to record the import against. "
                            "Create one with `outreach create-admin`, or pass --as-email.")
    return user


def count_lines(path: Path) -> int:
    """Lines in the file, counted quickly in binary, for the progress bar."""
    lines, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0)


def import_clients(actor: User, path: Path, *, programme_id: int | None = None,
                   skip_bad: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check and write every row in the current transaction; the caller commits if `keep`."""
    if programme_id is not None:
        try:
            services.managed_programme(actor, programme_id)
        except APIError as exc:
            raise ImportRefused(
                f"You cannot import into programme {programme_id}: no such programme, "
                "or not one of yours.") from exc
    result = ImportResult(skip_bad=skip_bad)
    with path.open("rb") as handle:
        reader = csv.reader(_decoded_lines(handle))
        try:
            header = _read_header(next(reader, None), programme_id)
            _import_rows(actor, reader, header, programme_id, result, progress)
        except csv.Error as exc:
            raise ImportRefused(
                f"Line {reader.line_num}: the file cannot be read as CSV ({exc}).") from exc
    return result


def audit(actor: User, result: ImportResult, programme_id: int | None) -> None:
    """Record the import (or its refusal) with counts only: the rows themselves are personal."""
    record(actor, "client.import", via="cli", detail={
        "rows": result.rows, "imported": result.imported, "bad": len(result.bad),
        "skip_bad": result.skip_bad, "programme_id": programme_id,
    })


def _decoded_lines(handle: BinaryIO) -> Iterator[str]:
    # Decoding line by line (rather than through a text wrapper that reads ahead in blocks) lets
    # a non-UTF-8 byte be reported with the line it is on.
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ImportRefused(f"Line {number} is longer than {MAX_LINE_BYTES} bytes; "
                                "this is not a file of client records.")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"The file is not UTF-8 text (first problem on line {number}). Save it as "
                "\"CSV UTF-8\" from your spreadsheet and try again.") from exc


def _read_header(row: list[str] | None, programme_id: int | None) -> list[str]:
    if not row:
        raise ImportRefused("The file is empty: the first line must name the columns.")
    header = [name.strip().lower() for name in row]
    if "" in header:
        raise ImportRefused(f"Column {header.index('') + 1} has no name in the header line.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        # Spreadsheets set to a continental locale save with semicolons; say so plainly.
        hint = (" The file seems to be separated by semicolons; save it with commas."
                if any(";" in name for name in unknown) else "")
        raise ImportRefused(f"Unknown column(s): {', '.join(unknown)}. "
                            f"The known columns are: {', '.join(COLUMNS)}.{hint}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportRefused(f"Column(s) named more than once: {', '.join(repeated)}.")
    if "full_name" not in header:
        raise ImportRefused("The file needs a full_name column.")
    if "programme_id" not in header and programme_id is None:
        raise ImportRefused("Say which programme to import into: a programme_id column, "
                            "or --programme.")
    return header


def _import_rows(actor, reader, header, programme_id, result, progress) -> None:
    checker, writer = RowChecker(programme_id), BatchWriter(actor)
    batch: list[CheckedRow] = []
    done_lines = reader.line_num
    if progress:
        progress(done_lines)
    written_lines = done_lines
    for row in reader:
        line = done_lines + 1  # a quoted field may span lines: report where the row starts
        done_lines = reader.line_num
        if not any(value.strip() for value in row):
            continue  # blank lines are common at the end of spreadsheet exports
        result.rows += 1
        if len(row) != len(header):
            batch.append(CheckedRow(line, problem=f"has {len(row)} values but the header names "
                                                  f"{len(header)} columns."))
        else:
            batch.append(checker.check(line, dict(zip(header, row, strict=True))))
        if len(batch) >= BATCH_ROWS:
            _write(writer, batch, result, progress, done_lines - written_lines)
            batch, written_lines = [], done_lines
    _write(writer, batch, result, progress, done_lines - written_lines)


def _write(writer: BatchWriter, batch: list[CheckedRow], result: ImportResult,
           progress: Callable[[int], None] | None, lines: int) -> None:
    # Progress moves once a batch is written, so the bar does not run ahead of the database.
    if batch:
        created, bad = writer.write(batch)
        result.created += created
        result.bad.extend(BadRow(line, reason) for line, reason in bad)
    if progress and lines:
        progress(lines)
