"""instructions.py: user-space instructions per request, by area, measured with callgrind.

    python -m bench.instructions [--app hello|json_app|async_app] [--path /] [--depth 24]
                                 [--connections 1] [--batches 1000]
    python -m bench.instructions --app bench.apps.asgi_hello:app    # an ASGI app, via the CLI

Instruction counts don't drift with the machine's load, so they are the
yardstick for the engine's own work (wrk ratios in run.py are the verdict).
The app runs twice under `valgrind --tool=callgrind`, once answering 20
batches and once 20 + BATCHES, each batch DEPTH pipelined requests written
on each of CONNECTIONS client connections; the difference divided by the
extra requests cancels startup and shutdown. With one connection and depth
1, every request pays a whole event-loop turn; with 32 connections one turn
serves many, as under wrk -c100, and the count is the per-request work.
Costs are exclusive (self) costs, grouped by area from the function and
object names; kernel time is not counted.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.load import free_port, send_batches, wait_accepting

BENCH = Path(__file__).resolve().parent
WARM_BATCHES = 20

# First match wins: (area, pattern). Matched against the source file when the
# build has debug info (see bench/README.md), else against the function and
# object names.
AREAS = [
    ("parser",
     r"src/core/parser/|lesto::http::(RequestParser|scan::|ChunkedDecoder|percent_|routing_decode)"),
    ("writer", r"src/core/response/|lesto::http::(write_|DateCache|reason_phrase)"),
    ("router", r"src/core/router/|lesto::router::"),
    ("pipeline", r"src/core/(pipeline|buffer)/|lesto::(Connection|Buffer|BufferPool)::"),
    ("net", r"src/core/net/|lesto::net::"),
    ("binding", r"src/native/|lesto::py::"),
    ("uvloop", r"uvloop|loop\.cpython"),
    ("orjson", r"orjson"),
    ("asyncio (C)", r"_asyncio\.cpython"),
    ("python", r"libpython|/Python-3|python3\.\d+"),
    ("libc", r"libc\.so|libc-|ld-linux|libm\.so"),
]


def serve_command(app: str, port: int) -> list[str]:
    """A bench app file run with its port, or module:attribute served by `python -m lesto`."""
    if ":" in app:
        return [sys.executable, "-m", "lesto", app, "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log"]
    return [sys.executable, str(BENCH / "apps" / f"{app}.py"), str(port)]


def run_once(app: str, path: str, depth: int, batches: int, connections: int, out: Path) -> None:
    port = free_port()
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *serve_command(app, port)]
    # A fixed hash seed: dict probing, and so the counts, repeat from run to run.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    with open(out.with_suffix(".log"), "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            try:
                wait_accepting(port, proc, timeout=120)  # valgrind starts slowly
                send_batches(port, path, depth, batches, connections)
            except RuntimeError as exc:
                raise SystemExit(f"instructions.py: {exc}; see {out.with_suffix('.log')}") from None
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if not out.exists():
        raise SystemExit(f"instructions.py: callgrind wrote no {out}; see {out.with_suffix('.log')}")


def self_costs(out: Path) -> dict[str, int]:
    text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", str(out)],
                          capture_output=True, text=True, check=True).stdout
    costs: dict[str, int] = defaultdict(int)
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line and ":" in m.group(2):
            costs[m.group(2)] += int(m.group(1).replace(",", ""))
    return costs


def area_of(name: str) -> str:
    file, _, function = name.partition(":")
    for text in (file, function):
        for area, pattern in AREAS:
            if re.search(pattern, text):
                return area
    return "other"


def short(name: str) -> str:
    """The function's name, without return type, template and arguments."""
    function = name.partition(":")[2] or name
    function = re.sub(r"\s*\[[^\]]*\]\s*$", "", function)
    function = re.sub(r"'\d+$", "", function)  # callgrind's recursion depth suffix
    function = function.replace("(anonymous namespace)::", "")
    for bracket in "(<":
        if bracket in function:
            function = function[: function.index(bracket)]
    return function.split(" ")[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", default="hello",
                    help="bench/apps/APP.py (default hello), or an ASGI app as module:attribute")
    ap.add_argument("--path", default="/", help="request path (default /)")
    ap.add_argument("--depth", type=int, default=24, help="pipelined requests per write (default 24)")
    ap.add_argument("--batches", type=int, default=1000, help="extra batches of the second run")
    ap.add_argument("--connections", type=int, default=1,
                    help="connections written in each batch (default 1); with more, one wake-up of "
                         "the server serves several connections, as under wrk -c100")
    ap.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    ap.add_argument("--keep", metavar="DIR", help="keep the callgrind files (base.out, more.out) in DIR")
    args = ap.parse_args()
    if min(args.depth, args.batches, args.connections) < 1:
        ap.error("--depth, --batches and --connections must be at least 1")
    app = args.app
    if ":" not in app and not (BENCH / "apps" / f"{app}.py").exists():
        raise SystemExit(f"instructions.py: no bench/apps/{app}.py; choose one of bench/apps/*.py")
    with tempfile.TemporaryDirectory(prefix="lesto-profile-") as tmp:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
        base, more = Path(args.keep or tmp, "base.out"), Path(args.keep or tmp, "more.out")
        run_once(app, args.path, args.depth, WARM_BATCHES, args.connections, base)
        run_once(app, args.path, args.depth, WARM_BATCHES + args.batches, args.connections, more)
        a, b = self_costs(base), self_costs(more)
    requests = args.batches * args.depth * args.connections
    delta = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
    total = sum(delta.values()) / requests
    areas: dict[str, float] = defaultdict(float)
    for name, cost in delta.items():
        areas[area_of(name)] += cost / requests
    print(f"{args.app} {args.path}, {args.depth} pipelined, {args.connections} connection(s): "
          f"{total:,.0f} user-space instructions per request")
    print()
    print("| area | instr/req |")
    print("|---|---:|")
    for area, cost in sorted(areas.items(), key=lambda kv: -kv[1]):
        print(f"| {area} | {cost:,.0f} |")
    print()
    functions: dict[str, float] = defaultdict(float)
    for name, cost in delta.items():
        functions[short(name)] += cost / requests
    print("| function (self) | instr/req |")
    print("|---|---:|")
    for name, cost in sorted(functions.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"| {name} | {cost:,.0f} |")

if __name__ == "__main__":
    main()
