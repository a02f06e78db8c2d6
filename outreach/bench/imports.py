"""Import figures for `scripts/bench`: `outreach import-clients` on a generated 100,000-row CSV
into the bench database, as its own process, as an operator would run it. Reported: rows
imported a second, and the process's peak RSS (target under 300 MB: the import streams).

The file is fictional (numbered names, Ofcom's drama range for the phones that have one) and is
made in a temporary directory. The rows go into a programme of their own, emptied before and
after each run, so runs do not pile up clients in the bench database.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from outreach.bench.memory import TARGET_MB, run_for_peak

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
PROGRAMME = "Bench import (generated)"
# Ofcom keeps 07700 900000-900999 for drama: the only mobiles the toolkit lets demo data use,
# so 1,000 rows have one and the rest (as many older clients) have none.
PHONES = 1000
HEADER = ["full_name", "date_of_birth", "phone", "address", "parish", "preferred_language",
          "lives_alone", "access_notes", "consent_take_part"]


def write_csv(path: Path, rows: int) -> None:
    """A fictional client list with `rows` rows, every one valid and none a duplicate."""
    born = date(1930, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            phone = f"+447700900{i:03d}" if i < PHONES else ""
            birth = (born + timedelta(days=i % 20000)).isoformat()
            out.writerow([f"Imported Client {i:06d}", birth, phone, f"{i} Import Lane",
                          "St Brelade", "en", "yes",
                          "Key safe by the door" if i % 7 == 0 else "", "yes"])


def _programme(bench) -> tuple[int, str]:
    """The import programme (made once) with none of its clients left; and a coordinator."""
    from outreach.audit.models import AuditEvent
    from outreach.bench.escalations import COORDINATOR_EMAIL, bench_operator
    from outreach.db import db
    from outreach.people.models import Client
    from outreach.programmes.models import Programme

    with bench.app.app_context():
        operator_id, _ = bench_operator(db)
        programme_id = db.session.scalar(select(Programme.id).where(Programme.name == PROGRAMME))
        if programme_id is None:
            programme_id = db.session.execute(insert(Programme).returning(Programme.id), {
                "name": PROGRAMME, "kind": "call_and_check", "operator_id": operator_id,
                "timezone": "Europe/Jersey"}).scalar_one()
        ours = select(Client.id).where(Client.programme_id == programme_id)
        db.session.execute(delete(AuditEvent).where(AuditEvent.client_id.in_(ours)))
        db.session.execute(delete(Client).where(Client.programme_id == programme_id))
        db.session.commit()
        return programme_id, COORDINATOR_EMAIL


def run_import(database_url: str, path: Path, programme_id: int, email: str) -> tuple[float, int]:
    """Run `outreach import-clients` as a child process; answers (seconds, peak RSS in KiB)."""
    env = {**os.environ, "DATABASE_URL": database_url, "OUTREACH_ENV": "development",
           "SECRET_KEY": "bench-" + "x" * 40, "FLASK_APP": "outreach"}
    started = time.perf_counter()
    log = path.with_suffix(".out")
    code, peak = run_for_peak(
        [sys.executable, "-m", "flask", "outreach", "import-clients", str(path),
         "--programme", str(programme_id), "--as-email", email], env, log)
    elapsed = time.perf_counter() - started
    if code != 0:
        output = log.read_bytes()
        raise RuntimeError(f"import-clients failed ({code}): {output[-300:]!r}")
    return elapsed, peak


def import_figures(bench) -> list:
    """Rows imported a second and the importing process's peak RSS, on a generated file."""
    from outreach.bench.run import Row
    from outreach.db import db
    from outreach.people.models import Client

    programme_id, email = _programme(bench)
    database_url = bench.app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
            path = Path(folder) / "clients.csv"
            write_csv(path, ROWS)
            seconds, peak_kib = run_import(database_url, path, programme_id, email)
        with bench.app.app_context():
            imported = db.session.scalar(select(db.func.count()).where(
                Client.programme_id == programme_id))
            db.session.rollback()
    finally:
        _programme(bench)  # empty again: the next run starts from the same place
    if imported != ROWS:
        raise RuntimeError(f"the import kept {imported} of {ROWS} rows")
    return [
        Row(f"import-clients, {ROWS:,} rows: rows a second", ROWS / seconds, "rows/s"),
        Row(f"import-clients, {ROWS:,} rows: peak RSS of the process", peak_kib / 1024, "MB",
            TARGET_MB),
    ]
