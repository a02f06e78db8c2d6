"""Run the load test: `python -m outreach.bench.load [--seconds N] [--scale X]` (see scripts/load).

Builds or reuses the bench database, prepares who Locust acts as, serves the application under
gunicorn with the bench's settings on 127.0.0.1 (texts on the console backend: nothing leaves
the machine), runs Locust headless for a bounded time and prints one table per endpoint group.
Exits 1 when any request failed or a group's p99 is 200 ms or more (Locust reports times
from 100 ms up to the nearest 10 ms, so a 200 may have been 195 ms or 204 ms).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import re
import subprocess  # runs locust with fixed arguments  # nosec B404
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from outreach.bench.load import cpu, plan, scratch

P99_TARGET_MS = 200.0
BASE_URL = "http://load.outreach.example"  # what inbound texts are signed for (never asked)
AUTH_TOKEN = "load-auth-token-" + "0" * 16
# Callers keep their connections open, as a proxy in front of gunicorn keeps its own: with
# gunicorn's default of 2 s, a caller quiet for longer (one in seven gaps at one request a second
# on average) sent its next POST on a connection the server was closing, and it failed.
KEEP_ALIVE = ("--keep-alive", "75")
REFERENCE_SECONDS = 20
APP = "outreach:create_app()"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "outreach_session"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/load", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", 60)),
                        help="how long to measure, after every user has started (default 60)")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("LOAD_SCALE", 10)),
                        help="times a national operator's peak (default 10)")
    return parser.parse_args(argv)


def _bench():
    """The bench database and its data sets, built on first use."""
    from outreach.bench.escalations import escalation_data_set
    from outreach.bench.run import open_bench

    bench = open_bench()
    escalation_data_set(bench)
    return bench


def _locust(port: int, folder: Path, plan_path: Path, seconds: int, scale: float,
            classes: tuple[str, ...], name: str) -> tuple[Path, cpu.Usage]:
    """Run Locust headless with `classes` against the served app; answers the stats CSV's path
    and what the run's requests cost in CPU time."""
    from outreach.bench.http import MASTERS

    total = plan.all_users(scale)
    prefix = folder / name
    sent = folder / f"{name}_sent"
    command = [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
               "--headless", "--users", str(total), "--spawn-rate", str(max(1, total // 5)),
               "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
               "--csv", str(prefix), "--reset-stats", "--only-summary", "--stop-timeout", "10",
               "--loglevel", "WARNING", *classes]
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_SCALE": str(scale),
           "LOAD_SENT": str(sent)}
    log = folder / f"{name}.log"
    before = cpu.snapshot(MASTERS[port])
    with log.open("w", encoding="utf-8") as output:
        # Locust exits 1 when a request failed: the table says which, so that is not fatal.
        subprocess.run(command, env=env, check=False, timeout=seconds + 180,  # noqa: S603  # nosec B603
                       stdout=output, stderr=subprocess.STDOUT)
    after = cpu.snapshot(MASTERS[port])
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists() or not sent.exists():
        print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
        raise RuntimeError("Locust wrote no statistics; its output is above")
    return stats, cpu.usage(before, after, int(sent.read_text()))


def log_in(port: int, emails: list[str], password: str) -> list[str]:
    """Log each coordinator in through the form before the clock starts (argon2 is slow on
    purpose, and a morning's logins are spread over it); answers their session cookies."""
    cookies = []
    for email in emails:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/login", headers={"User-Agent": plan.USER_AGENT})
        page = conn.getresponse()
        token = CSRF.search(page.read().decode())
        first = SimpleCookie(page.getheader("Set-Cookie") or "")
        body = urlencode({"csrf_token": token.group(1) if token else "", "email": email,
                          "password": password})
        conn.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": plan.USER_AGENT,
            "Cookie": "; ".join(f"{k}={v.value}" for k, v in first.items())})
        answer = conn.getresponse()
        answer.read()
        session = SimpleCookie(answer.getheader("Set-Cookie") or "").get(SESSION_COOKIE)
        conn.close()
        if answer.status != 302 or session is None:
            raise RuntimeError(f"coordinator {email} could not log in ({answer.status})")
        cookies.append(f"{SESSION_COOKIE}={session.value}")
    return cookies


def _aggregated(stats: Path) -> dict:
    return next(row for row in _rows(stats) if row["Name"] == "Aggregated")


def _rows(stats: Path) -> list[dict]:
    with stats.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def print_table(rows: list[dict], reference: dict | None = None) -> bool:
    """endpoint group | requests | req/s | p50 | p95 | p99 | errors, then the reference's row;
    answers whether the targets (no error, every group's p99 under 200 ms) were met."""
    from outreach.bench.run import print_lines

    lines = [("endpoint group", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")]
    good = True
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        # A group that sent nothing in the time (a very small --scale) has no percentiles.
        errors, p99 = int(row["Failure Count"]), float(row["99%"].replace("N/A", "0") or 0)
        good &= errors == 0 and p99 < P99_TARGET_MS
        lines.append(_line(name, row))
    if reference is not None:
        lines.append(_line(plan.REFERENCE, reference))
    print_lines(lines)
    return good


def _line(name: str, row: dict) -> tuple[str, ...]:
    return (name, row["Request Count"], f"{float(row['Requests/s']):.1f}", row["50%"],
            row["95%"], row["99%"], row["Failure Count"])


def _failures(folder: Path) -> None:
    path = folder / "load_failures.csv"  # the morning's; the reference's are its own
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows[:10]:
            print(f"  {row['Occurrences']} x {row['Name']}: {row['Error'][:200]}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, load, report."""
    from outreach.bench.memory import WEB_PEAKS

    args = _arguments(sys.argv[1:] if argv is None else argv)
    with scratch.copy_of(_bench()) as bench:
        good = _run(bench, args)
    peak = WEB_PEAKS.get(APP, 0) / 1024
    verdict = "met" if good else "NOT met"
    print(f"\nPeak RSS of a web worker: {peak:.1f} MB. Targets: no errors, p99 under "
          f"{P99_TARGET_MS:g} ms in every group: {verdict}.")
    return 0 if good else 1


def _run(bench, args: argparse.Namespace) -> bool:
    """The reference, then the morning, on `bench`; prints their table and CPU time; answers
    whether the targets were met."""
    from outreach.bench.http import GUNICORN, served

    env = {"DATABASE_URL": str(bench.app.config["SQLALCHEMY_DATABASE_URI"]),
           "OUTREACH_ENV": "development", "SECRET_KEY": "load-" + "x" * 40,
           "PUBLIC_BASE_URL": BASE_URL, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SMS_BACKEND": "console",
           "CELERY_BROKER_URL": "",
           # The simulated texts come from 1,000 numbers fast, which is not a reply loop here.
           "SMS_LOOP_LIMIT": "1000000",
           # Every simulated coordinator logs in from 127.0.0.1; real ones have addresses of
           # their own, so the per-address login limit would only measure itself.
           "LOGIN_RATE_LIMIT": "100000 per minute"}
    with tempfile.TemporaryDirectory(prefix="outreach-load-") as name:
        folder = Path(name)
        plan_path = folder / "plan.json"
        plan.make(bench, plan_path, BASE_URL, AUTH_TOKEN)
        total = plan.all_users(args.scale)
        print(f"Serving with gunicorn {' '.join((*GUNICORN, *KEEP_ALIVE))}; {total} simulated "
              f"users at {args.scale:g} times a national peak, measured for {args.seconds} s, "
              f"after the same callers ask a bare Flask endpoint for {REFERENCE_SECONDS} s ...",
              flush=True)
        # The reference first, on its own, so the two never share the machine.
        with served("outreach.bench.http:bare_app()", {}, KEEP_ALIVE) as port:
            reference, reference_cpu = _locust(port, folder, plan_path, REFERENCE_SECONDS,
                                               args.scale, ("Reference",), "reference")
        with served(APP, env, KEEP_ALIVE) as port:
            made = json.loads(plan_path.read_text())
            made["cookies"] = log_in(port, made.pop("coordinators"), made.pop("password"))
            plan_path.write_text(json.dumps(made))
            stats, morning_cpu = _locust(port, folder, plan_path, args.seconds, args.scale,
                                         plan.MORNING, "load")
        print()
        good = print_table(_rows(stats), _aggregated(reference))
        _failures(folder)
    print(f"\nThe morning's {morning_cpu.words()}\nThe reference's {reference_cpu.words()}")
    return good


if __name__ == "__main__":
    sys.exit(main())
