"""Memory figures for `scripts/bench`: the peak resident set size (RSS) of gunicorn web workers
across the HTTP figures, read from /proc (Linux) just before each server is stopped.

The kernel keeps each process's high-water mark (VmHWM in /proc/<pid>/status), so one look at
the end of a server's life gives its peak whatever happened in between. The application's
workers are reported against the target (300 MB, issue 8) with the bare Flask worker, measured
the same way, as the reference.
"""

from __future__ import annotations

import subprocess  # runs the bench's own commands with fixed arguments  # nosec B404
import time
from pathlib import Path

PROC = Path("/proc")
TARGET_MB = 300.0
BARE_TARGETS = ("outreach.bench.http:bare_app()", "outreach.bench.sms:bare_twiml_app()")
# Target (as given to gunicorn) -> the highest VmHWM seen in any of its workers, in KiB.
WEB_PEAKS: dict[str, int] = {}


def peak_rss_kib(pid: int) -> int | None:
    """The process's peak RSS (VmHWM) in KiB, or None if it has gone or /proc cannot say."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def run_for_peak(command: list[str], env: dict, output: Path,
                 every: float = 0.05) -> tuple[int, int]:
    """Run `command` to its end, its output to the file `output`; answers (its exit code, its
    own peak RSS in KiB).

    Its own: read from its VmHWM while it runs, the last reading before it ends. What wait4
    reports (ru_maxrss) is no good here: the kernel carries the parent's high-water mark
    across the exec into the child's, so a child of a large bench process was reported as
    large as its parent (395 MB for an import that peaked at 170 MB).
    """
    with output.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink,  # noqa: S603  # nosec B603
                                   stderr=subprocess.DEVNULL)
        peak = 0
        while process.poll() is None:
            peak = max(peak, peak_rss_kib(process.pid) or 0)
            time.sleep(every)
    return process.returncode, peak


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (the first is the state), or
    None if the process has gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and brackets: the fields start after the last ")".
    return stat.rsplit(")", 1)[-1].split()


def children(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid` (gunicorn's workers, for its master)."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = stat_fields(entry.name)
            if fields is not None and len(fields) > 1 and fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def note_workers(target: str, master_pid: int) -> None:
    """Remember the highest peak RSS of the master's workers under `target`."""
    peaks = [p for p in (peak_rss_kib(pid) for pid in children(master_pid)) if p is not None]
    if peaks:
        WEB_PEAKS[target] = max(WEB_PEAKS.get(target, 0), *peaks)


def web_memory_figures(bench) -> list:
    """Peak RSS of a web worker of the application over the HTTP figures (and of a bare one)."""
    from outreach.bench.run import Row

    app = [kib for target, kib in WEB_PEAKS.items() if target not in BARE_TARGETS]
    bare = [kib for target, kib in WEB_PEAKS.items() if target in BARE_TARGETS]
    if not app:
        return []  # no HTTP figure ran (or /proc is not there): nothing to report
    rows = [Row("peak RSS of a web worker, all HTTP figures", max(app) / 1024, "MB", TARGET_MB)]
    if bare:
        rows.append(Row("peak RSS of a bare Flask web worker (reference)", max(bare) / 1024,
                        "MB"))
    return rows
