"""ws.py: WebSocket echo: server CPU per message, against a C++ ceiling, the `websockets` library and granian.

Usage (from the repo root):
  python -m bench.ws [--repeat 3] [--duration 5] [--only TEXT] [--pin] [--markdown]

Five servers echo text messages of 32 bytes and of 4 KiB: the ceiling
(bench/websocket/ws_ceiling.cpp), Lesto's WebSocket route
(bench/apps/ws_echo.py), Lesto's ASGI front-end and granian serving the same
raw ASGI app (bench/apps/asgi_ws_echo.py), and the `websockets` library's
asyncio server (bench/apps/websockets_echo.py). The load is
bench/websocket/ws_load.cpp: 100 connections, 8 messages in flight on each.
Server CPU per message comes from /proc over the measured run, as in
bench/run.py, whose measurement this reuses. See bench/README.md, "WebSockets".
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

from bench import asgi_peers
from bench.asgi import lesto_asgi
from bench.load import read_head, ws_upgrade
from bench.run import (
    CLIENT_CPU,
    ROOT,
    SERVER_CPU,
    Load,
    LoadResult,
    Measurement,
    Server,
    Workload,
    cpu_model,
    ensure_ceiling,
    format_errors,
    measure,
    render,
    run_client,
)

SIZES = (32, 4096)
CONNECTIONS = 100
INFLIGHT = 8
BUILD = ROOT / "build" / "bench"
ASGI_ECHO = "bench.apps.asgi_ws_echo:app"
# (server, reference, at most): issue 17's targets, for each message size. Lesto's ASGI
# front-end is held to the same bounds, to compare; the issue sets them for the Lesto API.
TARGETS = [
    (server, reference, limit)
    for server in ("lesto", "lesto-asgi")
    for reference, limit in (("ceiling", 4.0), ("websockets", 0.25), ("granian", 0.25))
]


@dataclasses.dataclass
class Row:
    server: str
    size: int  # bytes of each message
    workload: Workload
    runs: list[Measurement] = dataclasses.field(default_factory=list)
    failure: str | None = None

    @property
    def label(self) -> str:
        return f"{self.server}, {size_name(self.size)}"

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs)

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for run in self.runs:
            for key, value in run.errors.items():
                total[key] = total.get(key, 0) + value
        return total


def size_name(size: int) -> str:
    return f"{size // 1024} KiB" if size >= 1024 and size % 1024 == 0 else f"{size} B"


def servers(ceiling: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(name, command without the port) of each server, the reference first."""
    return [
        ("ceiling", (str(ceiling),)),
        ("lesto", (sys.executable, "-m", "bench.apps.ws_echo")),
        ("lesto-asgi", lesto_asgi(ASGI_ECHO)),
        ("websockets", asgi_peers.websockets_server("bench.apps.websockets_echo")),
        ("granian", asgi_peers.granian(ASGI_ECHO, websockets=True)),
    ]


def plan(ceiling: Path, only: list[str]) -> list[Row]:
    rows = [
        Row(name, size, Workload(f"{name} {size_name(size)}", command, "/"))
        for size in SIZES
        for name, command in servers(ceiling)
    ]
    chosen = [r for r in rows if not only or any(t in r.workload.name for t in only)]
    # Every ratio needs the ceiling of its size: add it back when the filter dropped it.
    sizes = {r.size for r in chosen}
    return [r for r in rows if r in chosen or (r.server == "ceiling" and r.size in sizes)]


# ---- one measurement ---------------------------------------------------------------------------------


def wait_upgrading(server: Server, path: str, timeout: float) -> None:
    """Return once a WebSocket handshake on PATH gets its 101: granian accepts in its master
    before its worker has imported the app, and that import must not land in the measured CPU."""
    deadline, last = time.monotonic() + timeout, "nothing"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        request, accept = ws_upgrade(server.port, path)
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=2.0) as s:
                s.sendall(request)
                read_head(s, accept)
                return
        except (OSError, RuntimeError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"no 101 for a WebSocket handshake within {timeout:.0f} s (last: {last})\n"
                       f"{server.log_tail()}")


def parse_ws_load(text: str) -> tuple[int, float, dict[str, int]]:
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"cannot parse ws_load's output:\n{text}")
    report = json.loads(lines[-1])
    return report["messages"], report["messages"] / report["seconds"], report["errors"]


def ws_load(client: Path, size: int) -> Load:
    def run(port: int, seconds: int, cpu: int | None) -> LoadResult:
        cmd = [str(client), str(port), "--connections", str(CONNECTIONS), "--inflight",
               str(INFLIGHT), "--size", str(size), "--duration", str(seconds)]
        return run_client(cmd, cpu, parse_ws_load)

    return run


# ---- report --------------------------------------------------------------------------------------------


def ceiling_row(rows: list[Row], size: int) -> Row | None:
    return next((r for r in rows if r.server == "ceiling" and r.size == size and r.runs), None)


def ratio(a: Row | None, b: Row | None) -> tuple[float | None, list[float]]:
    """Median over median, and each round's ratio (rows stop at their first failure, so
    round i is the i-th run of both)."""
    if a is None or b is None or not a.runs or not b.runs:
        return None, []
    per_round = [x.cpu_us_per_req / y.cpu_us_per_req for x, y in zip(a.runs, b.runs)]
    return a.median("cpu_us_per_req") / b.median("cpu_us_per_req"), per_round


def spread(per_round: list[float]) -> str:
    return f"{min(per_round):.2f}-{max(per_round):.2f}" if len(per_round) > 1 else "-"


def rows_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["server", "message", "messages/s", "server CPU µs/msg", "errors", "ratio",
              "round ratios", "user µs/msg", "user ratio", "server CPU %", "client CPU %"]
    body = []
    for row in rows:
        if not row.runs:
            body.append([row.server, size_name(row.size), "FAILED", *[""] * (len(header) - 3)])
            continue
        ceiling = ceiling_row(rows, row.size)
        r, per_round = ratio(row, ceiling)
        user = row.median("user_us_per_req")
        user_ceiling = ceiling.median("user_us_per_req") if ceiling else 0.0
        body.append([
            row.server,
            size_name(row.size),
            f"{row.median('req_per_s'):,.0f}",
            f"{row.median('cpu_us_per_req'):.2f}",
            format_errors(row.errors()),
            "-" if r is None else f"{r:.2f}",
            spread(per_round),
            f"{user:.2f}",
            f"{user / user_ceiling:.1f}" if user_ceiling else "-",
            f"{statistics.median(100 * m.server_cpu_s / m.wall_s for m in row.runs):.0f}",
            f"{statistics.median(100 * m.client_cpu_s / m.wall_s for m in row.runs):.0f}",
        ])
    return header, body


def targets_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["target", "ratio", "round ratios", "at most", "met"]
    found = {(r.server, r.size): r for r in rows}
    body = []
    for size in SIZES:
        for server, reference, limit in TARGETS:
            if (server, size) not in found:
                continue
            r, per_round = ratio(found.get((server, size)), found.get((reference, size)))
            met = "not measured" if r is None else ("yes" if r <= limit else "**no**")
            body.append([f"{size_name(size)}: {server} / {reference}", "-" if r is None else f"{r:.2f}",
                         spread(per_round), f"{limit:g}", met])
    return header, body


def describe(args: argparse.Namespace, versions: dict[str, str]) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    pin = f"server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU}" if args.pin else "no pinning"
    shown = ("granian", "websockets", "uvloop")
    peers = ", ".join(f"{name} {versions[name]}" for name in shown if name in versions)
    return (
        f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} CPUs, {cpu_model()}; "
        f"load {load}; ws_load {CONNECTIONS} connections x {INFLIGHT} in flight, {args.duration} s, "
        f"warm-up {args.warmup} s, median of {args.repeat}; {pin}; {peers}"
    )


# ---- main ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--duration", type=int, default=5, help="seconds of each measured run (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of load before measuring (default 1)")
    p.add_argument("--repeat", type=int, default=1, metavar="K", help="rounds; the tables show medians")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help='only rows whose name ("lesto 32 B", "granian 4 KiB") contains TEXT (repeatable); '
        "the ceiling is added back",
    )
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=False,
        help=f"server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU} (see README)",
    )
    p.add_argument("--markdown", action="store_true", help="tables as markdown, for RESULTS.md")
    p.add_argument("--start-timeout", type=float, default=30.0, help="seconds for a server to upgrade")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--repeat and --duration must be positive, --warmup not negative")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ceiling = ensure_ceiling(BUILD / "ws_ceiling", build=True, target="ws_ceiling")
    client = ensure_ceiling(BUILD / "ws_load", build=True, target="ws_load")
    peers = asgi_peers.ensure()
    versions = asgi_peers.versions(peers)
    rows = plan(ceiling, args.only)
    if not rows:
        sys.exit(f"ws.py: no row matches {args.only}")

    for number in range(1, args.repeat + 1):  # rounds, so drift hits every row alike
        for row in rows:
            if row.failure:
                continue
            label = f"[{number}/{args.repeat}] {row.label}"
            print(f"{label} ...", file=sys.stderr, flush=True)
            try:
                m = measure(row.workload, 1, args, ready=wait_upgrading, load=ws_load(client, row.size))
            except (RuntimeError, OSError) as exc:
                row.failure = str(exc)
                print(f"{label}: FAILED: {exc}", file=sys.stderr, flush=True)
                continue
            row.runs.append(m)
            print(f"{label}: {m.req_per_s:,.0f} messages/s, {m.cpu_us_per_req:.2f} µs/message, "
                  f"errors {format_errors(m.errors)}", file=sys.stderr, flush=True)

    print(describe(args, versions))
    for title, (header, body) in (
        ("Echo (ratio: to the ceiling, same message size)", rows_table(rows)),
        ("Targets (issue 17)", targets_table(rows)),
    ):
        print(f"\n{title}\n")
        print(render(header, body, args.markdown))

    failed = [r for r in rows if r.failure]
    errored = [r for r in rows if any(r.errors().values())]
    for r in failed:
        print(f"{r.label} failed: {r.failure.strip().splitlines()[-1].strip()}", file=sys.stderr)
    if failed or errored:
        print(f"\nws.py: {len(failed)} row(s) failed, {len(errored)} with client errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
