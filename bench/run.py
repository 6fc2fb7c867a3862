"""run.py: the bench runner: drives each server with wrk and prints req/s and server CPU per request.

Usage (from the repo root): python -m bench.run [--duration 5] [--only lesto] [--repeat 3] [--markdown]

Each workload runs in its own server process. Server CPU is read from /proc over
the process tree, before and after the measured wrk run, and divided by the
requests wrk counted. The ratio column divides that by the ceiling's CPU per
request at the same pipelining depth, measured in the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.load import free_port, wait_accepting

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WRK = "wrk"
CONNECTIONS = 100
DEPTHS = (24, 1)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVER_CPU = 0  # with --pin: the server's core
CLIENT_CPU = 1  # with --pin: wrk's core


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    command: tuple[str, ...]  # the server command; the port is appended
    path: str

    def uses_ceiling(self) -> bool:
        return self.name.startswith("ceiling")


def workloads(ceiling: Path) -> list[Workload]:
    python = sys.executable
    apps = BENCH / "apps"
    return [
        Workload("ceiling hello", (str(ceiling),), "/"),
        Workload("lesto hello", (python, str(apps / "hello.py")), "/"),
        Workload("lesto json", (python, str(apps / "json_app.py")), "/json"),
        Workload("lesto async", (python, str(apps / "async_app.py")), "/"),
        Workload("lesto async-direct", (python, str(apps / "async_app.py")), "/direct"),
    ]


@dataclasses.dataclass
class LoadResult:
    """What a load client reported: wrk, or bench/ws.py's ws_load (messages for requests)."""

    requests: int
    req_per_s: float
    errors: dict[str, int]  # wrk: connect, read, write, timeout, non-2xx
    client_cpu_s: float


@dataclasses.dataclass
class Measurement:
    req_per_s: float
    requests: int
    server_cpu_s: float
    server_user_s: float
    wall_s: float
    client_cpu_s: float
    errors: dict[str, int]

    @property
    def cpu_us_per_req(self) -> float:
        return self.server_cpu_s * 1e6 / self.requests if self.requests else float("nan")

    @property
    def user_us_per_req(self) -> float:
        return self.server_user_s * 1e6 / self.requests if self.requests else float("nan")


# ---- server CPU from /proc -----------------------------------------------------------------


def _proc_stats() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, user ticks, all ticks) for every live process, reaped children included."""
    stats = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read()
        except OSError:  # exited while we looked
            continue
        # comm (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = raw[raw.rindex(b")") + 2 :].split()
        ppid = int(fields[1])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        stats[int(entry.name)] = (ppid, utime + cutime, utime + stime + cutime + cstime)
    return stats


def tree_cpu_seconds(root: int) -> tuple[float, float]:
    """(all, user) CPU seconds of root and its live descendants, plus their reaped children's."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, user, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            user += stats[pid][1]
            total += stats[pid][2]
            todo.extend(children.get(pid, ()))
    return total / CLOCK_TICKS, user / CLOCK_TICKS


# ---- processes -----------------------------------------------------------------------------


def _pinned(cpu: int | None):
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


class Server:
    """A server process in its own session, so stopping it stops any workers it forked."""

    def __init__(self, command: tuple[str, ...], port: int, cpu: int | None):
        self.port = port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [*command, str(port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pinned(cpu),
        )

    def wait_ready(self, timeout: float) -> None:
        try:
            wait_accepting(self.port, self.proc, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 20) -> str:
        self.log.seek(0)
        text = self.log.read().decode(errors="replace").splitlines()[-lines:]
        return "\n".join("    " + line for line in text)

    def stop(self) -> None:
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


# ---- wrk -----------------------------------------------------------------------------------


def wrk_command(port: int, path: str, depth: int, duration: int) -> list[str]:
    cmd = [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"]
    if depth > 1:
        cmd += ["-s", str(BENCH / "pipeline.lua"), "--", str(depth), path]
    return cmd


def parse_wrk(text: str) -> tuple[int, float, dict[str, int]]:
    total = re.search(r"^\s*(\d+) requests in ", text, re.M)
    rate = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if not total or not rate:
        raise RuntimeError(f"cannot parse wrk output:\n{text}")
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0, "non-2xx": 0}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        for key, value in zip(("connect", "read", "write", "timeout"), sock.groups()):
            errors[key] = int(value)
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if status:
        errors["non-2xx"] = int(status.group(1))
    return int(total.group(1)), float(rate.group(1)), errors


def run_client(cmd: list[str], cpu: int | None,
               parse: Callable[[str], tuple[int, float, dict[str, int]]]) -> LoadResult:
    """Run a load client to completion and `parse` its output into (count, rate, errors);
    its own CPU time comes from wait4, to tell a saturated client."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_pinned(cpu))
    out = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} exited with {proc.returncode}:\n{out}")
    requests, rate, errors = parse(out)
    return LoadResult(requests, rate, errors, usage.ru_utime + usage.ru_stime)


def run_wrk(cmd: list[str], cpu: int | None) -> LoadResult:
    return run_client(cmd, cpu, parse_wrk)


# A load client run: (port, seconds, CPU to pin it to) -> what it counted.
Load = Callable[[int, int, "int | None"], LoadResult]


def wrk_load(path: str, depth: int) -> Load:
    def run(port: int, seconds: int, cpu: int | None) -> LoadResult:
        return run_wrk(wrk_command(port, path, depth, seconds), cpu)

    return run


def measure(workload: Workload, depth: int, args: argparse.Namespace,
            ready: Callable[[Server, str, float], None] | None = None,
            load: Load | None = None) -> Measurement:
    """One wrk run against a server of its own; `ready(server, path, timeout)`, when given,
    is waited for after the server accepts (bench/asgi.py: until it answers). `load`, when
    given, runs instead of wrk (bench/ws.py: ws_load), for the warm-up and the measured run."""
    if load is None:
        load = wrk_load(workload.path, depth)
    port = free_port()
    server_cpu, client_cpu = (SERVER_CPU, CLIENT_CPU) if args.pin else (None, None)
    server = Server(workload.command, port, server_cpu)
    try:
        server.wait_ready(args.start_timeout)
        if ready is not None:
            ready(server, workload.path, args.start_timeout)
        if args.warmup > 0:
            load(port, args.warmup, client_cpu)
        (cpu_before, user_before), wall_before = tree_cpu_seconds(server.proc.pid), time.monotonic()
        result = load(port, args.duration, client_cpu)
        (cpu_after, user_after), wall_after = tree_cpu_seconds(server.proc.pid), time.monotonic()
        if server.proc.poll() is not None:
            raise RuntimeError(f"server died during the run\n{server.log_tail()}")
    finally:
        server.stop()
    return Measurement(
        req_per_s=result.req_per_s,
        requests=result.requests,
        server_cpu_s=cpu_after - cpu_before,
        server_user_s=user_after - user_before,
        wall_s=wall_after - wall_before,
        client_cpu_s=result.client_cpu_s,
        errors=result.errors,
    )


# ---- ceiling binary ------------------------------------------------------------------------


def ensure_ceiling(path: Path, build: bool, target: str = "ceiling") -> Path:
    """PATH, built first (the CMake target TARGET of build/bench) when it is missing."""
    if path.exists():
        return path
    if not build:
        sys.exit(f"run.py: no {target} binary at {path} (build it, or pass --ceiling)")
    build_dir = ROOT / "build" / "bench"
    steps = [
        [
            "cmake",
            "-S",
            str(ROOT),
            "-B",
            str(build_dir),
            "-G",
            "Ninja",
            "-DLESTO_PYTHON=OFF",
            "-DLESTO_BENCH=ON",
        ],
        ["cmake", "--build", str(build_dir), "--target", target],
    ]
    for step in steps:
        print("+", " ".join(step), file=sys.stderr)
        subprocess.run(step, check=True, stdout=sys.stderr)
    return path


# ---- report --------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    workload: Workload
    depth: int
    runs: list[Measurement] = dataclasses.field(default_factory=list)
    failure: str | None = None

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for run in self.runs:
            for key, value in run.errors.items():
                total[key] = total.get(key, 0) + value
        return total

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs)


def format_errors(errors: dict[str, int]) -> str:
    bad = [f"{key} {value}" for key, value in errors.items() if value]
    return ", ".join(bad) if bad else "0"


def table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = [
        "workload",
        "pipelining",
        "req/s",
        "server CPU µs/req",
        "errors",
        "ratio",
        "round ratios",
        "user µs/req",
        "user ratio",
        "server CPU %",
        "wrk CPU %",
    ]
    ceiling = {
        row.depth: row.median("cpu_us_per_req") for row in rows if row.workload.uses_ceiling() and row.runs
    }
    ceiling_user = {
        row.depth: row.median("user_us_per_req") for row in rows if row.workload.uses_ceiling() and row.runs
    }
    ceiling_runs = {row.depth: row.runs for row in rows if row.workload.uses_ceiling()}
    body = []
    for row in rows:
        if not row.runs:
            body.append([row.workload.name, str(row.depth), "FAILED", *[""] * (len(header) - 3)])
            continue
        us = row.median("cpu_us_per_req")
        ratio = f"{us / ceiling[row.depth]:.2f}" if row.depth in ceiling else "-"
        # Each round's ratio to the ceiling of the same round: how far one
        # round can stray, which the median above hides. Rows stop at their
        # first failure, so round i is the i-th run of both rows.
        per_round = [
            run.cpu_us_per_req / c.cpu_us_per_req for run, c in zip(row.runs, ceiling_runs.get(row.depth, []))
        ]
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if len(per_round) > 1 else "-"
        user = row.median("user_us_per_req")
        user_ratio = f"{user / ceiling_user[row.depth]:.1f}" if ceiling_user.get(row.depth) else "-"
        server_pct = statistics.median(100 * r.server_cpu_s / r.wall_s for r in row.runs)
        client_pct = statistics.median(100 * r.client_cpu_s / r.wall_s for r in row.runs)
        body.append(
            [
                row.workload.name,
                str(row.depth),
                f"{row.median('req_per_s'):,.0f}",
                f"{us:.2f}",
                format_errors(row.errors()),
                ratio,
                spread,
                f"{user:.2f}",
                user_ratio,
                f"{server_pct:.0f}",
                f"{client_pct:.0f}",
            ]
        )
    return header, body


def render(header: list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        ]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def fmt(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(cells) for cells in body)])


def cpu_model() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return model


def describe_run(args: argparse.Namespace) -> str:
    model = cpu_model()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    pin = f"server on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU}" if args.pin else "no pinning"
    return (
        f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} CPUs, {model}; "
        f"load {load}; wrk -t1 -c{CONNECTIONS} -d{args.duration}s, warm-up {args.warmup} s, "
        f"median of {args.repeat}; {pin}"
    )


# ---- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # wrk takes whole seconds only.
    p.add_argument("--duration", type=int, default=5, help="seconds of each measured wrk run (default 5)")
    p.add_argument(
        "--warmup", type=int, default=1, help="seconds of wrk before measuring, 0 for none (default 1)"
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run the workloads whose name contains TEXT (repeatable); "
        "the ceiling rows of the same depths are added as the reference",
    )
    p.add_argument(
        "--depth",
        type=int,
        action="append",
        choices=DEPTHS,
        help="only this pipelining depth (repeatable; default: 24 and 1)",
    )
    p.add_argument(
        "--repeat", type=int, default=1, metavar="K", help="rounds over all workloads; report medians"
    )
    p.add_argument("--markdown", action="store_true", help="print the table as markdown for RESULTS.md")
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=False,
        help=f"pin the server to CPU {SERVER_CPU} and wrk to CPU {CLIENT_CPU} "
        "(default: off, less stable on the shared 2-core machine; see README)",
    )
    p.add_argument(
        "--ceiling", type=Path, default=ROOT / "build" / "bench" / "ceiling", help="the ceiling binary"
    )
    p.add_argument("--no-build", dest="build", action="store_false", help="do not build a missing ceiling")
    p.add_argument("--start-timeout", type=float, default=20.0, help="seconds for a server to accept")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--repeat and --duration must be positive, --warmup not negative")
    if args.pin and (os.cpu_count() or 1) < 2:
        args.pin = False
    return args


def select(all_workloads: list[Workload], args: argparse.Namespace) -> list[Row]:
    chosen = [w for w in all_workloads if not args.only or any(t in w.name for t in args.only)]
    if chosen and not any(w.uses_ceiling() for w in chosen):
        chosen = [w for w in all_workloads if w.uses_ceiling()] + chosen
    depths = args.depth or DEPTHS
    return [Row(w, d) for w in chosen for d in depths]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ceiling = args.ceiling.resolve()
    rows = select(workloads(ceiling), args)
    if not rows:
        sys.exit(f"run.py: no workload matches {args.only}")
    if any(row.workload.uses_ceiling() for row in rows):
        ensure_ceiling(ceiling, args.build)

    for round_number in range(1, args.repeat + 1):  # rounds, so drift hits every workload alike
        for row in rows:
            if row.failure:
                continue
            label = f"[{round_number}/{args.repeat}] {row.workload.name}, pipelining {row.depth}"
            print(f"{label} ...", file=sys.stderr, flush=True)
            try:
                m = measure(row.workload, row.depth, args)
            except (RuntimeError, OSError) as e:
                row.failure = str(e)
                print(f"{label}: FAILED: {e}", file=sys.stderr, flush=True)
                continue
            row.runs.append(m)
            print(
                f"{label}: {m.req_per_s:,.0f} req/s, {m.cpu_us_per_req:.2f} µs/req, "
                f"errors {format_errors(m.errors)}",
                file=sys.stderr,
                flush=True,
            )

    header, body = table(rows)
    print(describe_run(args))
    print()
    print(render(header, body, args.markdown))
    failed = [row for row in rows if row.failure]
    errored = [row for row in rows if any(row.errors().values())]
    for row in failed:
        reason = row.failure.strip().splitlines()[-1].strip()
        print(f"{row.workload.name}, pipelining {row.depth} failed: {reason}", file=sys.stderr)
    if failed or errored:
        print(f"\nrun.py: {len(failed)} workload(s) failed, {len(errored)} with wrk errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
