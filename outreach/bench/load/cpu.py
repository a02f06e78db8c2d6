"""Where the load test's CPU went, read from /proc (Linux): the web workers', PostgreSQL's and
the load generator's CPU time per request, and how busy the whole machine was.

Latency under load depends on the machine as much as on the application: the same code met
p99 190 ms on one machine and saturated at 130 requests a second on another twice as slow.
CPU time per request is what the application costs wherever it runs, so the report gives it
beside the latencies, and two runs on different machines can be compared.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

from outreach.bench.memory import PROC, children, stat_fields

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time so far (user and system), or None if it has gone."""
    fields = stat_fields(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICKS


def named(command: str) -> list[int]:
    """The ids of the processes whose command name is `command` (PostgreSQL's are all
    "postgres"): none when the database runs on another machine."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since it started, all cores together."""
    try:
        first = Path(PROC, "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0, 0.0
    ticks = [int(value) for value in first[1:9]]  # user nice system idle iowait irq softirq steal
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / TICKS, sum(ticks) / TICKS


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds so far: per process of the server and the database, the children this
    process waited for (Locust), and the machine."""

    server: dict[int, float]
    database: dict[int, float]
    generator: float
    busy: float
    total: float


def snapshot(master_pid: int) -> Snapshot:
    """Where the CPU time stands now, for gunicorn `master_pid`'s workers and PostgreSQL."""
    def times(pids):
        return {pid: t for pid in pids if (t := cpu_seconds(pid)) is not None}

    busy, total = machine()
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Snapshot(times(children(master_pid)), times(named("postgres")),
                    waited.ru_utime + waited.ru_stime, busy, total)


@dataclass(frozen=True)
class Usage:
    """CPU time per request between two snapshots, and the machine's busy share."""

    server_ms: float
    database_ms: float | None  # None: PostgreSQL is not on this machine
    generator_ms: float
    busy: float  # 0 to 1, of every core
    cores: int

    def words(self) -> str:
        database = "" if self.database_ms is None else \
            f", PostgreSQL {self.database_ms:.1f} ms"
        return (f"CPU per request: web workers {self.server_ms:.1f} ms{database}, load "
                f"generator {self.generator_ms:.1f} ms; the machine ({self.cores} cores) was "
                f"{self.busy * 100:.0f} % busy.")


def usage(before: Snapshot, after: Snapshot, requests: int) -> Usage:
    """What the requests sent between the snapshots cost; a process that started in between
    counts from nothing (a database connection opened during the run), one that ended is
    lost (none should: gunicorn keeps its workers and their connections)."""
    def spent(start: dict[int, float], end: dict[int, float]) -> float:
        return sum(t - start.get(pid, 0.0) for pid, t in end.items())

    per = 1000 / max(requests, 1)
    total = after.total - before.total
    return Usage(
        server_ms=spent(before.server, after.server) * per,
        database_ms=spent(before.database, after.database) * per if after.database else None,
        generator_ms=(after.generator - before.generator) * per,
        busy=(after.busy - before.busy) / total if total > 0 else 0.0,
        cores=os.cpu_count() or 1)
