"""The load test's CPU accounting, read from /proc: per process, per request, for the machine."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from outreach.bench.load import cpu


def _burn(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_a_process_cpu_time_grows_as_it_works_and_a_gone_one_has_none():
    before = cpu.cpu_seconds(os.getpid())
    _burn(0.3)
    after = cpu.cpu_seconds(os.getpid())

    assert before is not None and after - before >= 0.25
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    assert cpu.cpu_seconds(int(gone.stdout)) is None


def test_processes_are_found_by_command_name():
    mine = Path("/proc/self/comm").read_text().strip()

    assert os.getpid() in cpu.named(mine)
    assert cpu.named("no-such-command-here") == []


def test_a_snapshot_counts_the_masters_children_and_what_the_machine_did():
    child = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: pass"])
    try:
        time.sleep(0.5)
        first = cpu.snapshot(os.getpid())
        time.sleep(0.5)
        second = cpu.snapshot(os.getpid())
    finally:
        child.kill()
        child.wait()

    assert child.pid in first.server and second.server[child.pid] > first.server[child.pid]
    assert second.total > first.total and second.busy > first.busy


def test_usage_is_cpu_time_per_request_with_newcomers_counted_from_nothing():
    before = cpu.Snapshot(server={1: 1.0, 2: 2.0}, database={7: 5.0}, generator=3.0,
                          busy=100.0, total=400.0)
    after = cpu.Snapshot(server={1: 1.5, 2: 2.5, 3: 0.2}, database={7: 5.3, 8: 0.1},
                         generator=3.1, busy=130.0, total=440.0)

    used = cpu.usage(before, after, requests=100)

    assert used.server_ms == pytest.approx(12.0)  # (0.5 + 0.5 + 0.2) s / 100
    assert used.database_ms == pytest.approx(4.0)  # (0.3 + 0.1) s / 100
    assert used.generator_ms == pytest.approx(1.0)
    assert used.busy == pytest.approx(0.75)  # 30 of 40 CPU seconds
    assert "web workers 12.0 ms, PostgreSQL 4.0 ms" in used.words()
    assert "75 % busy" in used.words()


def test_without_a_local_database_its_share_is_not_claimed():
    empty = cpu.Snapshot(server={}, database={}, generator=0.0, busy=0.0, total=0.0)

    used = cpu.usage(empty, empty, requests=0)

    assert used.database_ms is None and "PostgreSQL" not in used.words()
    assert used.busy == 0.0
