"""Run the Autobahn TestSuite's fuzzing client against Lesto's WebSocket echo servers.

    python scripts/autobahn.py                   # every case of 1-10, 12, 13 (~30 min)
    python scripts/autobahn.py --cases fast      # the subset the tests run (~1 min)
    python scripts/autobahn.py --record bench/autobahn.md

Two servers answer the same cases: the Lesto API's echo route
(bench/apps/ws_echo.py) and a Starlette WebSocket route on the ASGI front-end
(bench/apps/starlette_ws_echo.py). The suite (autobahntestsuite 0.8.2) is
Python 2 only: it is installed with pip --user into the pyenv 2.7 that the
machine has, when `wstest` is missing. Exit status 1 when any case is
neither OK nor INFORMATIONAL/UNIMPLEMENTED (FAILED, NON-STRICT, WRONG CODE,
...), in its behaviour or its closing behaviour.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTOBAHN = "autobahntestsuite==0.8.2"
PASSING = {"OK", "INFORMATIONAL", "UNIMPLEMENTED"}
# Cases 1-7 and 10 (framing, pings, reserved bits, opcodes, fragments, UTF-8,
# closing, misc), and the first case of each compression group (12.x.1,
# 13.x.1: every window and context-takeover offer): about 20 s a server, not
# the half hour of the whole of 9 (limits and speed), 12 and 13. wstest
# matches a pattern as an unanchored regex ('*' -> '.*'), so "12.*.1" would
# also take 12.x.10-18, the slow big-message cases: "$" anchors it.
FAST = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*", "12.*.1$", "13.*.1$"]
ALL = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*", "12.*", "13.*"]


def wstest() -> str:
    """The `wstest` command, installing the suite into Python 2.7 first if it is missing."""
    found = shutil.which("wstest") or (os.path.expanduser("~/.local/bin/wstest"))
    if os.path.exists(found):
        return found
    pythons = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7*/bin/python")))
    python2 = pythons[-1] if pythons else shutil.which("python2.7")
    if not python2:
        sys.exit("autobahn: no Python 2.7 to run the Autobahn TestSuite (pyenv install 2.7.18)")
    print(f"autobahn: installing {AUTOBAHN} with {python2}", flush=True)
    subprocess.run([python2, "-m", "pip", "install", "-q", "--user", AUTOBAHN], check=True)
    found = os.path.expanduser("~/.local/bin/wstest")
    if not os.path.exists(found):
        sys.exit(f"autobahn: {AUTOBAHN} installed, but {found} is missing")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"autobahn: the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"autobahn: the server on {port} did not start:\n{log.read_text()}")


def servers() -> dict[str, list[str]]:
    """agent -> command line (with {port})."""
    return {
        "lesto": [sys.executable, "-m", "bench.apps.ws_echo", "{port}"],
        "lesto-asgi-starlette": [sys.executable, "-m", "lesto", "bench.apps.starlette_ws_echo:app",
                                 "--host", "127.0.0.1", "--port", "{port}"],
    }


def run(cases: list[str], agents: list[str], work: Path) -> dict[str, dict[str, dict]]:
    command = wstest()
    procs = []
    spec_servers = []
    try:
        for agent, argv in servers().items():
            if agent not in agents:
                continue
            port = free_port()
            log = work / f"{agent}.log"
            with open(log, "wb") as out:
                procs.append(subprocess.Popen([a.format(port=port) for a in argv], cwd=ROOT,
                                              stdout=out, stderr=subprocess.STDOUT))
            wait_listening(port, procs[-1], log)
            spec_servers.append({"agent": agent, "url": f"ws://127.0.0.1:{port}"})
        spec = {"outdir": str(work / "reports"), "servers": spec_servers, "cases": cases,
                "exclude-cases": [], "exclude-agent-cases": {}}
        (work / "spec.json").write_text(json.dumps(spec))
        with open(work / "wstest.log", "wb") as out:
            subprocess.run([command, "-m", "fuzzingclient", "-s", "spec.json"], cwd=work,
                           stdout=out, stderr=subprocess.STDOUT, check=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    return json.loads((work / "reports" / "index.json").read_text())


def case_key(case: str) -> list[int]:
    return [int(part) for part in case.split(".")]


def summarize(index: dict[str, dict[str, dict]]) -> tuple[str, bool]:
    lines = ["| server | cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED "
             "| other |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    problems = []
    for agent, results in index.items():
        count = collections.Counter()
        for case, r in results.items():
            worst = r["behavior"] if r["behavior"] not in PASSING else r["behaviorClose"]
            known = worst in ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
            count[worst if known else "other"] += 1
            if r["behavior"] not in PASSING or r["behaviorClose"] not in PASSING:
                problems.append(f"{agent} {case}: {r['behavior']} / close {r['behaviorClose']}")
        lines.append(f"| {agent} | {len(results)} | {count['OK']} | {count['NON-STRICT']} | "
                     f"{count['INFORMATIONAL']} | {count['UNIMPLEMENTED']} | {count['FAILED']} "
                     f"| {count['other']} |")
    problems.sort(key=lambda p: (p.split()[0], case_key(p.split()[1].rstrip(":"))))
    text = "\n".join(lines)
    if problems:
        text += "\n\nNot passing:\n\n" + "\n".join(f"- {p}" for p in problems)
    return text, not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", choices=("fast", "all"), default="all")
    parser.add_argument("--only", choices=("lesto", "lesto-asgi-starlette"), action="append")
    parser.add_argument("--record", type=Path, help="write the summary (markdown) to this file")
    parser.add_argument("--keep", type=Path, help="keep the reports in this folder")
    args = parser.parse_args()
    agents = args.only or ["lesto", "lesto-asgi-starlette"]
    work = args.keep or Path(tempfile.mkdtemp(prefix="autobahn-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    index = run(FAST if args.cases == "fast" else ALL, agents, work)
    took = time.monotonic() - started
    text, ok = summarize(index)
    print(text)
    print(f"\nautobahn: {args.cases} cases in {took:.0f} s; reports in {work / 'reports'}")
    if args.record:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
        args.record.write_text(
            f"# Autobahn TestSuite\n\n`python scripts/autobahn.py --cases {args.cases}` at "
            f"{commit}, {time.strftime('%Y-%m-%d')} (autobahntestsuite 0.8.2, fuzzingclient; "
            f"cases {', '.join(FAST if args.cases == 'fast' else ALL)}).\n\n{text}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
