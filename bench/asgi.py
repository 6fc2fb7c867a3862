"""asgi.py: ASGI apps on Lesto, granian and uvicorn: server CPU per request, against a floor and each other.

Usage (from the repo root):
  python -m bench.asgi [--repeat 3] [--duration 5] [--only TEXT] [--pin] [--markdown] [--chart bench/asgi.png]

The same ASGI apps (bench/apps: raw hello, raw JSON, FastAPI hello and JSON,
Starlette hello) are served by Lesto (`python -m lesto APP --interface asgi`),
granian and uvicorn (from their own environment, bench/asgi_peers.py), one
process each, and driven by wrk with 100 connections, not pipelined; raw
hello also with 24 pipelined requests, Lesto against granian. The ceiling and
Lesto's own API (bench/apps/hello.py, json_app.py) run in the same rounds.
Each workload's floor is the ceiling's CPU per request plus the app's own CPU
per call measured in-process (bench/asgi_floor.py). See bench/README.md,
"ASGI servers".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import asgi_peers
from bench.run import (
    BENCH,
    CLIENT_CPU,
    CONNECTIONS,
    ROOT,
    SERVER_CPU,
    Row,
    Server,
    Workload,
    cpu_model,
    describe_run,
    ensure_ceiling,
    format_errors,
    measure,
    render,
    table,
)

PIPELINED = 24


@dataclasses.dataclass(frozen=True)
class App:
    name: str
    target: str  # MODULE:ATTRIBUTE, imported from the repo root
    path: str


APPS = [
    App("raw hello", "bench.apps.asgi_hello:app", "/"),
    App("raw json", "bench.apps.asgi_json:app", "/json"),
    App("fastapi hello", "bench.apps.fastapi_app:app", "/"),
    App("fastapi json", "bench.apps.fastapi_app:app", "/json"),
    App("starlette hello", "bench.apps.starlette_hello:app", "/"),
]
# The ASGI servers of each workload; raw hello is also served pipelined, by Lesto and granian.
SERVERS = ("lesto", "granian", "uvicorn")
# (numerator, denominator, pipelining, at most): the targets, per workload.
TARGETS = [("lesto", "floor", 1, 1.25), ("lesto", "granian", 1, 0.6), ("lesto", "uvicorn", 1, 0.5)]
PIPELINED_TARGET = ("lesto", "granian", PIPELINED, 0.15)  # raw hello only


@dataclasses.dataclass
class Entry:
    server: str  # ceiling, lesto-api, lesto, granian, uvicorn
    app: str  # an App's name; "hello" or "json" for the ceiling and the Lesto API
    row: Row


def lesto_asgi(target: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "lesto", target, "--host", "127.0.0.1", "--interface", "asgi", "--port")


def lesto_serves_asgi() -> str | None:
    """None when `python -m lesto` has --interface, else why Lesto's ASGI rows are skipped."""
    help_text = subprocess.run(
        [sys.executable, "-m", "lesto", "--help"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    if "--interface" in help_text:
        return None
    return "`python -m lesto --help` has no --interface: this Lesto cannot serve an ASGI app (issue 16)"


def plan(ceiling: Path, with_lesto: bool) -> list[Entry]:
    def entry(server: str, app: str, command: tuple[str, ...], path: str, depth: int) -> Entry:
        return Entry(server, app, Row(Workload(f"{server} {app}", command, path), depth))

    python = sys.executable
    entries = [entry("ceiling", "hello", (str(ceiling),), "/", d) for d in (PIPELINED, 1)]
    entries.append(entry("lesto-api", "hello", (python, str(BENCH / "apps" / "hello.py")), "/", 1))
    entries.append(entry("lesto-api", "json", (python, str(BENCH / "apps" / "json_app.py")), "/json", 1))
    commands = {"lesto": lesto_asgi, "granian": asgi_peers.granian, "uvicorn": asgi_peers.uvicorn}
    for app in APPS:
        for server in SERVERS:
            if server != "lesto" or with_lesto:
                entries.append(entry(server, app.name, commands[server](app.target), app.path, 1))
    raw_hello = APPS[0]
    if with_lesto:
        entries.append(entry("lesto", raw_hello.name, lesto_asgi(raw_hello.target), "/", PIPELINED))
    granian = asgi_peers.granian(raw_hello.target, pipelined=True)
    entries.append(entry("granian", raw_hello.name, granian, "/", PIPELINED))
    return entries


def select(entries: list[Entry], only: list[str]) -> list[Entry]:
    chosen = [e for e in entries if not only or any(t in e.row.workload.name for t in only)]
    depths = {e.row.depth for e in chosen}
    # Every ratio needs the ceiling of its depth: add it back when the filter dropped it.
    ceilings = [e for e in entries if e.server == "ceiling" and e.row.depth in depths and e not in chosen]
    return ceilings + chosen


# ---- one measurement ---------------------------------------------------------------------------------


def wait_answering(server: Server, path: str, timeout: float) -> None:
    """Return once a GET of PATH gets a 200: granian accepts in its master before its worker
    has imported the app, and that import must not land in the measured CPU time."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    deadline, answer = time.monotonic() + timeout, b""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=2.0) as s:
                s.sendall(request)
                answer = s.recv(4096)
            if answer.startswith(b"HTTP/1.1 200 "):
                return
        except OSError:
            pass
        time.sleep(0.1)
    first = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    raise RuntimeError(f"no 200 for GET {path} within {timeout:.0f} s (last: {first!r})\n{server.log_tail()}")


def app_cost(app: App) -> float:
    """The app's own CPU µs per call, in-process, under the Python that runs Lesto."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.asgi_floor", app.target, app.path],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.asgi_floor {app.target} failed:\n{proc.stderr.strip()}")
    return float(json.loads(proc.stdout)["us_per_call"])


# ---- report --------------------------------------------------------------------------------------------


class Results:
    """Per-round CPU µs per request of each measured row, and the floors built from them."""

    def __init__(self, entries: list[Entry], app_costs: dict[str, list[float]]):
        self.rounds = {
            (e.server, e.app, e.row.depth): [m.cpu_us_per_req for m in e.row.runs] for e in entries
        }
        self.app_costs = app_costs
        ceiling = self.rounds.get(("ceiling", "hello", 1), [])
        for app, costs in app_costs.items():
            if ceiling and costs:
                self.rounds[("floor", app, 1)] = [c + a for c, a in zip(ceiling, costs)]

    def median(self, server: str, app: str, depth: int = 1) -> float | None:
        if server == "floor":  # the ceiling's median plus the app's, as the floor table shows them
            ceiling, costs = self.median("ceiling", "hello"), self.app_costs.get(app)
            return ceiling + statistics.median(costs) if ceiling is not None and costs else None
        runs = self.rounds.get((server, app, depth))
        return statistics.median(runs) if runs else None

    def ratio(self, a: str, b: str, app: str, depth: int) -> tuple[float | None, list[float]]:
        """Median over median, and each round's ratio (rows stop at their first failure,
        so round i is the i-th run of both)."""
        x, y = self.median(a, app, depth), self.median(b, app, depth)
        per_round = [
            p / q for p, q in zip(self.rounds.get((a, app, depth), []), self.rounds.get((b, app, depth), []))
        ]
        return (x / y if x is not None and y else None), per_round


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def floor_table(results: Results, apps: list[App]) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "app µs/call", "floor µs/req"]
    for server in SERVERS:
        header += [f"{server} µs/req", f"{server}/floor"]
    body = []
    for app in apps:
        costs = results.app_costs.get(app.name)
        floor = results.median("floor", app.name)
        cells = [app.name, fmt(statistics.median(costs) if costs else None), fmt(floor)]
        for server in SERVERS:
            us = results.median(server, app.name)
            cells += [fmt(us), fmt(us / floor if us is not None and floor else None)]
        body.append(cells)
    return header, body


def targets_table(results: Results, apps: list[App]) -> tuple[list[str], list[list[str]]]:
    header = ["target", "ratio", "round ratios", "at most", "met"]
    body = []
    wanted = [(app.name, *t) for app in apps for t in TARGETS]
    if APPS[0] in apps:
        wanted.append((APPS[0].name, *PIPELINED_TARGET))
    for app, a, b, depth, limit in wanted:
        ratio, per_round = results.ratio(a, b, app, depth)
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if len(per_round) > 1 else "-"
        met = "not measured" if ratio is None else ("yes" if ratio <= limit else "**no**")
        body.append([f"{app}, pipelining {depth}: {a} / {b}", fmt(ratio), spread, f"{limit:g}", met])
    return header, body


# ---- the chart -----------------------------------------------------------------------------------------

CHART_SERIES = [  # (label, server, app of the hello group, app of the JSON group)
    ("ceiling", "ceiling", "hello", "hello"),
    ("Lesto (Lesto API)", "lesto-api", "hello", "json"),
    ("Lesto (ASGI)", "lesto", "raw hello", "raw json"),
    ("granian", "granian", "raw hello", "raw json"),
    ("uvicorn", "uvicorn", "raw hello", "raw json"),
]


def write_chart(
    path: Path,
    results: Results,
    args: argparse.Namespace,
    argv: list[str],
    peers: Path,
    versions: dict[str, str],
) -> None:
    data = {
        "title": "Server CPU time per request, not pipelined",
        "groups": ["Hello world! (text)", "JSON"],
        "series": [label for label, *_ in CHART_SERIES],
        "values": {
            label: [results.median(server, hello), results.median(server, js)]
            for label, server, hello, js in CHART_SERIES
        },
        "caption": [
            f"{time.strftime('%Y-%m-%d')}; {cpu_model()}, {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}; granian {versions.get('granian')}, "
            f"uvicorn {versions.get('uvicorn')} (httptools, uvloop)",
            f"wrk -t1 -c{CONNECTIONS} -d{args.duration}s, median of {args.repeat} rounds, load "
            f"{os.getloadavg()[0]:.1f} at the end; one server process each; ASGI bars: "
            "bench/apps/asgi_hello.py, asgi_json.py",
            "ceiling: bench/ceiling, a canned answer (one bar for both); CPU = the server's process tree",
            "$ " + shlex.join(["python", "-m", "bench.asgi", *argv]),
        ],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(data, f)
        f.flush()
        subprocess.run([str(peers), "-m", "bench.asgi_chart", f.name, str(path)], check=True, cwd=ROOT)
    print(f"asgi: wrote {path}", file=sys.stderr)


# ---- main ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of wrk before measuring (default 1)")
    p.add_argument("--repeat", type=int, default=1, metavar="K", help="rounds; the tables show medians")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="only rows whose name contains TEXT (repeatable); the ceiling is added back",
    )
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=False,
        help=f"server on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU} (see README)",
    )
    p.add_argument("--markdown", action="store_true", help="tables as markdown, for RESULTS.md")
    p.add_argument("--chart", type=Path, metavar="PNG", help="draw the chart into this file")
    p.add_argument("--start-timeout", type=float, default=30.0, help="seconds for a server to answer")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--repeat and --duration must be positive, --warmup not negative")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ceiling = ensure_ceiling(ROOT / "build" / "bench" / "ceiling", build=True)
    peers = asgi_peers.ensure()
    versions = asgi_peers.versions(peers)
    skipped = lesto_serves_asgi()
    if skipped:
        print(f"asgi: skipping Lesto's ASGI rows: {skipped}", file=sys.stderr)
    entries = select(plan(ceiling, skipped is None), args.only)
    if not entries:
        sys.exit(f"asgi.py: no row matches {args.only}")
    floor_apps = [
        a for a in APPS if any(e.app == a.name and e.row.depth == 1 and e.server in SERVERS for e in entries)
    ]
    app_costs: dict[str, list[float]] = {a.name: [] for a in floor_apps}
    failures: list[str] = []

    for number in range(1, args.repeat + 1):  # rounds, so drift hits every row alike
        for e in entries:
            if e.row.failure:
                continue
            label = f"[{number}/{args.repeat}] {e.row.workload.name}, pipelining {e.row.depth}"
            print(f"{label} ...", file=sys.stderr, flush=True)
            try:
                m = measure(e.row.workload, e.row.depth, args, ready=wait_answering)
            except (RuntimeError, OSError) as exc:
                e.row.failure = str(exc)
                print(f"{label}: FAILED: {exc}", file=sys.stderr, flush=True)
                continue
            e.row.runs.append(m)
            print(
                f"{label}: {m.req_per_s:,.0f} req/s, {m.cpu_us_per_req:.2f} µs/req, "
                f"errors {format_errors(m.errors)}",
                file=sys.stderr,
                flush=True,
            )
        for app in floor_apps:
            try:
                app_costs[app.name].append(app_cost(app))
            except RuntimeError as exc:
                failures.append(str(exc))
                print(f"[{number}/{args.repeat}] {app.name} in-process: FAILED: {exc}", file=sys.stderr)
            else:
                print(
                    f"[{number}/{args.repeat}] {app.name} in-process: {app_costs[app.name][-1]:.2f} µs/call",
                    file=sys.stderr,
                    flush=True,
                )

    results = Results(entries, app_costs)
    print(describe_run(args))
    print("peers: " + ", ".join(f"{name} {v}" for name, v in versions.items()))
    for title, (header, body) in (
        ("Rows (ratio: to the ceiling at the same pipelining)", table([e.row for e in entries])),
        (
            "Floors (the ceiling's CPU per request + the app's own, in-process), not pipelined",
            floor_table(results, floor_apps),
        ),
        ("Targets", targets_table(results, floor_apps)),
    ):
        print(f"\n{title}\n")
        print(render(header, body, args.markdown))
    if skipped:
        print(f"\nLesto's ASGI rows skipped: {skipped}")
    if args.chart:
        write_chart(args.chart, results, args, argv, peers, versions)

    failed = [e for e in entries if e.row.failure]
    errored = [e for e in entries if any(e.row.errors().values())]
    for e in failed:
        reason = e.row.failure.strip().splitlines()[-1].strip()
        print(f"{e.row.workload.name}, pipelining {e.row.depth} failed: {reason}", file=sys.stderr)
    if failed or errored or failures:
        print(
            f"\nasgi.py: {len(failed)} row(s) failed, {len(errored)} with wrk errors, "
            f"{len(failures)} in-process measurement(s) failed",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
