"""files.py: files and streams against nginx: server CPU per request, in ratios to nginx's.

Usage (from the repo root): python -m bench.files [--duration 5] [--repeat 3] [--only stream] [--pin]

nginx (one worker, sendfile on) and Lesto serve the same 1 KiB and 1 MiB
files to wrk with 100 keep-alive connections; Lesto also streams 1 MiB from
an async generator in 64 KiB pieces, compared with nginx's 1 MiB file. The
ratio divides Lesto's server CPU per request by nginx's, measured in the
same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.load import free_port
from bench.run import BENCH, CLIENT_CPU, SERVER_CPU, Server, run_wrk, tree_cpu_seconds, wrk_command

APPS = BENCH / "apps"
# (name, server, path, the reference it is divided by)
TARGETS = [
    ("nginx 1 KiB file", "nginx", "/static/1k.bin", None),
    ("lesto 1 KiB file", "lesto", "/static/1k.bin", "nginx 1 KiB file"),
    ("nginx 1 MiB file", "nginx", "/static/1m.bin", None),
    ("lesto 1 MiB file", "lesto", "/static/1m.bin", "nginx 1 MiB file"),
    ("lesto 1 MiB stream", "lesto", "/stream", "nginx 1 MiB file"),
]


def measure(server_name: str, path: str, duration: int, warmup: int,
            pin: bool) -> tuple[float, float]:
    """(server CPU us per request, requests per second) for one wrk run."""
    app = "nginx_files.py" if server_name == "nginx" else "files_app.py"
    port = free_port()
    server_cpu, client_cpu = (SERVER_CPU, CLIENT_CPU) if pin else (None, None)
    server = Server((sys.executable, str(APPS / app)), port, server_cpu)
    try:
        server.wait_ready(10.0)
        run_wrk(wrk_command(port, path, 1, warmup), client_cpu)
        (before, _), wall = tree_cpu_seconds(server.proc.pid), time.monotonic()
        result = run_wrk(wrk_command(port, path, 1, duration), client_cpu)
        (after, _), wall = tree_cpu_seconds(server.proc.pid), time.monotonic() - wall
        if any(result.errors.values()):
            raise RuntimeError(f"{server_name} {path}: wrk errors {result.errors}")
    finally:
        server.stop()
    return (after - before) * 1e6 / result.requests, result.req_per_s


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pin", action="store_true",
                        help=f"pin the server to CPU {SERVER_CPU} and wrk to CPU {CLIENT_CPU}")
    parser.add_argument("--only", default="",
                        help="only the targets whose name contains this (and their references)")
    args = parser.parse_args(argv)
    wanted = {name for name, *_ in TARGETS if args.only in name}
    wanted |= {ref for name, _, _, ref in TARGETS if name in wanted and ref}
    targets = [t for t in TARGETS if t[0] in wanted]
    with tempfile.TemporaryDirectory(prefix="lesto-bench-files-") as files:
        os.chmod(files, 0o755)  # nginx's worker runs as an unprivileged user
        Path(files, "1k.bin").write_bytes(os.urandom(1024))
        Path(files, "1m.bin").write_bytes(os.urandom(1024 * 1024))
        os.environ["BENCH_FILES"] = files
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in targets}
        for _ in range(args.repeat):
            for name, server_name, path, _ in targets:
                runs[name].append(measure(server_name, path, args.duration, args.warmup, args.pin))
    cpu = {name: statistics.median(c for c, _ in r) for name, r in runs.items()}
    rate = {name: statistics.median(q for _, q in r) for name, r in runs.items()}
    print(f"| target | req/s | server CPU us/req | ratio to nginx | round ratios |"
          f"  ({args.repeat} rounds, medians)")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, _, _, reference in targets:
        if reference is None:
            print(f"| {name} | {rate[name]:,.0f} | {cpu[name]:.1f} | 1 (reference) | |")
            continue
        # Each round's ratio against the reference measured in that round.
        rounds = sorted(a[0] / b[0] for a, b in zip(runs[name], runs[reference]))
        print(f"| {name} | {rate[name]:,.0f} | {cpu[name]:.1f} | "
              f"{cpu[name] / cpu[reference]:.2f}x {reference} | "
              f"{rounds[0]:.2f}-{rounds[-1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
