"""japronto_examples.py: japronto's examples and tutorial apps served by Lesto, each route over curl.

Used by japronto_compat.py, which copies and adapts the apps first. CHECKS
says, per example, what japronto answered to each request, and where Lesto
answers otherwise on purpose, what it answers and which documented
difference that is (README: Differences from japronto).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
CURL_TIMEOUT = 20


@dataclass(frozen=True)
class Check:
    """One curl request and what japronto answered.

    `status` is japronto's status (or a tuple of the allowed ones); `contains`
    strings its response held (head or body); `log` strings the app printed.
    Where Lesto answers otherwise on purpose, `lesto_status` and `lesto_contains`
    say what it answers and `difference` which documented difference it is.
    """

    method: str
    path: str
    status: int | tuple[int, ...] = 200
    contains: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    data: str | None = None
    log: tuple[str, ...] = ()
    lesto_status: int | None = None
    lesto_contains: tuple[str, ...] | None = None
    difference: str = ""


FORM = "Content-Type: application/x-www-form-urlencoded"
CHECKS: dict[str, tuple[Check, ...]] = {
    "1_hello": (Check("GET", "/", contains=("Hello world!",)),),
    "2_async": (
        Check("GET", "/sync", contains=("I am synchronous!",)),
        Check("GET", "/async", contains=("3 seconds elapsed",), log=("3 seconds elapsed",)),
    ),
    "3_router": (
        Check("GET", "/", contains=("Hello GET /!",)),
        Check("POST", "/", contains=("Hello POST /!",)),
        Check("GET", "/love", contains=("Got some love",)),
        Check("POST", "/love", status=404, lesto_status=405, lesto_contains=("Allow: GET",),
              difference="405 with Allow"),
        Check("POST", "/methods", contains=("POST",)),
        Check("DELETE", "/methods", contains=("DELETE",)),
        Check("GET", "/methods", status=404, lesto_status=405,
              lesto_contains=("Allow: POST, DELETE",), difference="405 with Allow"),
        Check("GET", "/params/1/2", contains=("{'p1': '1', 'p2': '2'}",)),
    ),
    "4_request": (
        Check("GET", "/basic?a=1", headers=("X-Test: 1",),
              contains=("Method: GET", "Path: /basic", "HTTP version: 1.1", "Query string: a=1",
                        "Query: {'a': '1'}", "X-Test: 1")),
        Check("POST", "/body", headers=("Content-Type: text/plain; charset=utf-8",), data="Já",
              contains=("Mime type: text/plain", "Encoding: utf-8", "Body: b'J\\xc3\\xa1'",
                        "Text: Já", "Form parameters: None", "Files: None")),
        Check("POST", "/body", headers=("Content-Type: application/json",), data='{"a": 1}',
              contains=("JSON:\n{'a': 1}",)),
        Check("POST", "/body", headers=(FORM,), data="a=1",
              contains=("Form parameters: {'a': '1'}", "Files: None")),
        Check("GET", "/misc", headers=("Cookie: a=1",),
              contains=("Hostname: 127.0.0.1", "Remote address: 127.0.0.1",
                        "HTTP Keep alive: True", "Match parameters: {}", "a: 1")),
    ),
    "5_response": (
        Check("GET", "/text", contains=("Hello world!", "text/plain")),
        Check("GET", "/encoding", contains=("Já pronto!", "charset=iso-8859-1")),
        Check("GET", "/mime", contains=("Content-Type: image/svg+xml", "<svg")),
        Check("GET", "/body", contains=("application/octet-stream",)),
        Check("GET", "/json", contains=('{"hello": "world"}', "application/json"),
              lesto_contains=('{"hello":"world"}', "application/json"), difference="compact JSON"),
        Check("GET", "/code", status=(200, 201, 400, 404, 500)),
        Check("GET", "/headers", contains=("X-Header: Value", "Refresh: 5; url=https://xkcd.com/353/")),
        Check("GET", "/cookies", contains=("Set-Cookie: hello=world", "Set-Cookie: city=")),
    ),
    "6_exceptions": (
        Check("GET", "/cat", contains=("Just a kitty, meow",)),
        Check("GET", "/dog", contains=("Just a doggie, woof",)),
        Check("GET", "/unhandled", status=500, log=("ZeroDivisionError",)),
        Check("GET", "/nowhere", status=404, contains=("Are you lost, pal?",)),
    ),
    "7_extend": (
        Check("GET", "/", contains=("Hello stranger",)),
        Check("GET", "/", headers=("Host: api.example.com", "User-Agent: abc"),
              contains=("Hello cba",)),
        Check("GET", "/callback", contains=("cb",), log=("Done!",)),
    ),
    "8_template": (
        Check("GET", "/", contains=("text/html",)),
        Check("GET", "/example", contains=("<h1>Some HTML!</h1>", "text/html")),
        Check("GET", "/jinja2", contains=("<h1>Hello World!</h1>",)),
    ),
    "todo_api": (
        Check("POST", "/todos", headers=("Content-Type: application/json",),
              data='{"todo": "milk"}', contains=('"todo"', "milk")),
        Check("GET", "/todos", contains=("milk",)),
        Check("GET", "/todos/1", contains=("milk",)),
        Check("DELETE", "/todos/1"),
        Check("GET", "/todos/1", status=404, contains=("not found",)),
        Check("PUT", "/todos", status=404, lesto_status=405, difference="405 with Allow"),
    ),
}


@dataclass
class Tally:
    passed: int = 0
    differences: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_accepting(port: int, proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def curl(port: int, check: Check) -> tuple[int, str]:
    """(status, head and body as text) of one request; status 0 when curl failed."""
    command = ["curl", "-s", "-i", "--max-time", str(CURL_TIMEOUT), "-X", check.method]
    for header in check.headers:
        command += ["-H", header]
    if check.data is not None:
        command += ["--data-binary", check.data]
    command.append(f"http://{HOST}:{port}{check.path}")
    result = subprocess.run(command, capture_output=True)
    raw = result.stdout
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    if result.returncode or not match:
        return 0, f"curl exit {result.returncode}: {raw[:200]!r}"
    head, _, body = raw.partition(b"\r\n\r\n")
    text = head.decode("latin-1") + "\n\n" + body.decode("utf-8", "replace")
    if "\ufffd" in text:  # a body in another charset (the 'encoding' example)
        text += "\n" + body.decode("latin-1")
    return int(match.group(1)), text


def judge(check: Check, status: int, text: str, log: str) -> tuple[str, str]:
    """('pass' | 'difference' | 'fail', what was seen)."""
    def meets(statuses, contains, logs):
        allowed = statuses if isinstance(statuses, tuple) else (statuses,)
        missing = [s for s in contains if s not in text] + [s for s in logs if s not in log]
        return status in allowed and not missing, missing

    ok, missing = meets(check.status, check.contains, check.log)
    if ok:
        return "pass", ""
    if check.difference:
        lesto_status = check.lesto_status or check.status
        lesto_contains = check.contains if check.lesto_contains is None else check.lesto_contains
        if meets(lesto_status, lesto_contains, check.log)[0]:
            return "difference", check.difference
    seen = text.replace("\r", "").replace("\n", " | ")[:300]
    missing_text = "; missing " + ", ".join(map(repr, missing)) if missing else ""
    return "fail", f"japronto: {check.status}{missing_text}; Lesto: {status}: {seen}"


def run_app(work: Path, name: str, checks: tuple[Check, ...], tally: Tally, cwd: Path) -> None:
    """Serve `name` from `cwd` and run its checks."""
    path = work / name
    port = free_port()
    text = path.read_text()
    path.write_text(re.sub(r"port=\d+", f"port={port}", text))
    log_path = path.with_suffix(".log")
    print(f"\n{name}")
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen([sys.executable, str(path)], cwd=cwd, stdout=log_file,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        if not wait_accepting(port, proc):
            tally.failures.append(f"{name}: did not start")
            print(f"  FAIL did not start:\n{textwrap.indent(log_path.read_text(), '    ')}")
            return
        for check in checks:
            status, response = curl(port, check)
            time.sleep(0.1)  # let the app's output of this request reach its log
            verdict, detail = judge(check, status, response, log_path.read_text("utf-8", "replace"))
            label = f"{check.method} {check.path}" + (f" ({', '.join(check.headers)})"
                                                      if check.headers else "")
            if verdict == "pass":
                tally.passed += 1
                print(f"  pass {label} -> {status}")
            elif verdict == "difference":
                tally.differences.append(f"{name} {label}: {detail}")
                print(f"  DIFF {label} -> {status}: deliberate difference: {detail}")
            else:
                tally.failures.append(f"{name} {label}: {detail}")
                print(f"  FAIL {label}: {detail}")
    finally:
        stop(proc)
    log = log_path.read_text("utf-8", "replace")
    if "Traceback" in log and not any("ZeroDivisionError" in c.log for c in checks):
        print(textwrap.indent(log[-3000:], "    | "))


def run_apps(work: Path, blocks: dict[str, str]) -> Tally:
    print("== japronto's examples and tutorial apps, each route over curl")
    tally = Tally()
    apps = sorted(str(p.relative_to(work)) for p in work.glob("examples/*/*.py"))
    apps += sorted(blocks)
    for name in apps:
        # examples/1_hello/hello.py and tutorial/1_hello.py are the same app
        key = Path(name).parent.name if name.startswith("examples/") else Path(name).stem
        checks = CHECKS.get(key)
        if checks is None:
            print(f"\n{name}: no checks known for it; not run")
            continue
        # A tutorial block runs where its example does: 8_template reads index.html there.
        run_app(work, name, checks, tally, cwd=work / "examples" / key)
    return tally
