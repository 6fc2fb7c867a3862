#!/usr/bin/env python3
"""japronto_compat.py: japronto's examples, tutorial and integration tests, run against Lesto.

    .venv/bin/python scripts/japronto_compat.py PATH_TO_JAPRONTO [--only apps|integration]
        [-k EXPR] [--work-around-pending] [--shrink] [--keep] [-v]

Copies from a japronto checkout, into a temporary directory, its examples/,
the runnable code blocks of its tutorial/ and the integration tests
(INTEGRATION_TESTS with the apps, client and helpers they use), adapts the
copies mechanically (RULES: each a regular-expression substitution that must
match, so a different checkout is reported, never half adapted), installs
what they import (NEEDED) into this interpreter's environment for the run
and removes it afterwards, then:

  1. serves each example and tutorial app on 127.0.0.1 and requests each of
     its routes with curl (japronto_examples.py: what japronto answered, and
     where Lesto answers otherwise on purpose, what it answers and why);
  2. runs the integration tests with pytest, a module at a time;

and prints every failure with its assertion, then a summary. Nothing of
japronto's is kept in this repository: the code is read from the checkout at
each run. Not part of Lesto's test suite: failures here are findings.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from japronto_examples import HOST, free_port, run_apps

INTEGRATION_TESTS = ("test_request", "test_reaper", "test_noleak", "test_perror", "test_drain")
# Copied with the tests: the apps they start and the modules they import.
INTEGRATION_FILES = ("integration_tests/__init__.py", "integration_tests/common.py",
                     "integration_tests/strategies.py", "integration_tests/dump.py",
                     "integration_tests/drain.py", "integration_tests/reaper.py",
                     "integration_tests/noleak.py", "misc/__init__.py", "misc/client.py")
# Module imported by the copied code -> the distribution that provides it.
NEEDED = {"psutil": "psutil", "hypothesis": "hypothesis", "jinja2": "jinja2"}
TEST_TIMEOUT = 120  # seconds per integration test: a hang fails that test, not the run
DRAIN_SECONDS = 5  # japronto's drain waited 5 s, fixed; Lesto's grace_period defaults to 30


# ---- adaptations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Replace `pattern` (a regular expression, multi-line) by `replacement` in `files` (globs)."""

    files: tuple[str, ...]
    pattern: str
    replacement: str
    why: str


APPS = ("examples/*/*.py", "tutorial/*.py")
TEST_APPS = ("integration_tests/dump.py", "integration_tests/drain.py",
             "integration_tests/reaper.py", "integration_tests/noleak.py")
TESTS = tuple(f"integration_tests/{name}.py" for name in INTEGRATION_TESTS)
RUN_ARGS = f"host='{HOST}', port=@PORT@"

RULES = (
    Rule(APPS + TEST_APPS, r"^(\s*)from japronto((?:\.\w+)*) import", r"\1from lesto\2 import",
         "the package is lesto"),
    Rule(APPS, r"\bapp\.run\(\)", f"app.run({RUN_ARGS})", "serve on 127.0.0.1 and a free port"),
    Rule(APPS, r"\bapp\.run\((?!\))(?!host=)", f"app.run({RUN_ARGS}, ",
         "serve on 127.0.0.1 and a free port"),
    Rule(TEST_APPS, r"\bapp\.run\(\)", f"app.run({RUN_ARGS}, grace_period={DRAIN_SECONDS})",
         f"serve on 127.0.0.1 and a free port; japronto drained for {DRAIN_SECONDS} s"),
    Rule(TESTS, r"'localhost:8080'", f"'{HOST}:@PORT@'", "the port the apps serve on"),
    Rule(("integration_tests/common.py",), r"sanitize=True", "sanitize=False",
         "no ASan build of Lesto to preload (find_library('asan') may be None)"),
    Rule(("integration_tests/common.py",), r"stdout=stdout\)",
         "stdout=stdout, stderr=subprocess.STDOUT if stdout else None)",
         "Lesto logs to stderr: the tests that read the app's output see Lesto's lines"),
    Rule(("misc/client.py",), r"^( +)self\.putline\(request_line\)\n",
         r"\1self.putline(request_line)\n\1self.putline('Host: localhost')\n",
         "HTTP/1.1 requires Host (Lesto answers 400 without it)"),
    Rule(("misc/client.py",), r"line\.split\(b':'\)", "line.split(b':', 1)",
         "Lesto sends Date, whose value has colons (japronto sent no such header)"),
    Rule(("misc/client.py",), r"sock\.recv\((1|size)\)", r"_received(sock.recv(\1))",
         "its reads spin forever on a closed connection (recv gives b'' again and again)"),
    Rule(("misc/client.py",), r"^( +)self\.sock\.connect\(addr\)",
         r"\1self.sock.settimeout(30)\n\1self.sock.connect(addr)",
         "a server that never answers fails the test instead of hanging it"),
    Rule(("misc/client.py",), r"\Z", "\n\ndef _received(data):\n"
         "    if not data:\n"
         "        raise ConnectionError('the server closed the connection')\n"
         "    return data\n"
         "\n\ndef without_host(document):\n"
         "    \"\"\"A dump without the Host header that putrequest adds.\"\"\"\n"
         "    if isinstance(document.get('headers'), dict):\n"
         "        document['headers'].pop('Host', None)\n"
         "    return document\n",
         "the dump app echoes the Host header the adapted client adds"),
    Rule(("integration_tests/test_request.py",), r"json\.loads\(response\.body\)|response\.json\b",
         r"client.without_host(\g<0>)",
         "the dump app echoes the Host header the adapted client adds"),
    Rule(("integration_tests/test_request.py",), r"suppress_health_check=\[HealthCheck\.too_slow\]",
         "suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]",
         "Hypothesis >= 5 refuses function-scoped fixtures under @given unless told"),
    Rule(("integration_tests/test_noleak.py",), r"\.get_marker\(", ".get_closest_marker(",
         "pytest >= 4 renamed Node.get_marker"),
    Rule(("integration_tests/test_noleak.py",),
         r"connection_gen = connection\(request\.getfixturevalue\('server'\)\)",
         f"request.getfixturevalue('server'); "
         f"connection_gen = iter([client.Connection('{HOST}:@PORT@')])",
         "pytest >= 4 refuses calling a fixture function directly"),
)

# With --work-around-pending only: adaptations for what other work on Lesto is changing,
# so that the failures behind it show. Each names the item.
PENDING_RULES = (
    Rule(("integration_tests/dump.py",), r'"headers": request\.headers,',
         '"headers": dict(request.headers),', "pending: JSON of Lesto's types (Headers)"),
    Rule(("integration_tests/noleak.py",), r"json=request\.headers\b", "json=dict(request.headers)",
         "pending: JSON of Lesto's types (Headers)"),
)

# Written next to the copied tests: japronto's conftest.py built japronto; this one
# declares its markers and gives Hypothesis the settings japronto's Hypothesis 3 had.
# Shrinking is off unless --shrink: when every example fails for one reason, shrinking
# each of the ~90 tests' failures takes hours; the first failing example is shown instead.
CONFTEST = '''\
"""Written by scripts/japronto_compat.py."""

import os

from hypothesis import HealthCheck, Phase, settings

phases = list(Phase)
if not os.environ.get("JAPRONTO_COMPAT_SHRINK"):
    phases = [phase for phase in phases if phase not in (Phase.shrink, Phase.explain)]
settings.register_profile("japronto", deadline=None, database=None, phases=phases,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.load_profile("japronto")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_build: japronto's build step (Lesto is installed)")
    config.addinivalue_line("markers", "arg(value): the argument of the noleak app")
'''


def tutorial_blocks(checkout: Path) -> dict[str, str]:
    """'tutorial/1_hello.py' -> the code of each tutorial page's runnable Python block."""
    blocks = {}
    for page in sorted((checkout / "tutorial").glob("*.md")):
        found = re.findall(r"^( *)```python\n(.*?)^\1```", page.read_text(), re.S | re.M)
        runnable = [textwrap.dedent(code) for _, code in found
                    if "Application(" in code and ".run(" in code]
        for n, code in enumerate(runnable):
            suffix = f"_{n + 1}" if len(runnable) > 1 else ""
            blocks[f"tutorial/{page.stem}{suffix}.py"] = code
    return blocks


def copy_sources(checkout: Path, work: Path, blocks: dict[str, str]) -> None:
    shutil.copytree(checkout / "examples", work / "examples")
    for name, code in blocks.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(code)
    for name in (*INTEGRATION_FILES, *TESTS):
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(checkout / name, work / name)
    (work / "conftest.py").write_text(CONFTEST)


def adapt(work: Path, port: int, rules: tuple[Rule, ...]) -> list[str]:
    """Apply `rules` to the copies; returns the problems (a rule that matched nothing)."""
    problems = []
    for rule in rules:
        matched = 0
        for pattern in rule.files:
            for path in sorted(work.glob(pattern)):
                text = path.read_text()
                new, count = re.subn(rule.pattern, rule.replacement.replace("@PORT@", str(port)),
                                     text, flags=re.M)
                if count:
                    path.write_text(new)
                    matched += count
        if not matched:
            problems.append(f"rule {rule.pattern!r} ({rule.why}) matched nothing in {rule.files}")
    return problems


# ---- packages for the run ------------------------------------------------------------------------


def installed() -> set[str]:
    out = subprocess.run([sys.executable, "-m", "pip", "list", "--format=json"],
                         capture_output=True, text=True, check=True).stdout
    return {item["name"].lower() for item in json.loads(out)}


def install_needed() -> set[str]:
    """Install the missing NEEDED distributions; returns every distribution that is new."""
    missing = [dist for module, dist in NEEDED.items() if importlib.util.find_spec(module) is None]
    if not missing:
        return set()
    before = installed()
    print(f"installing for this run: {', '.join(missing)}", flush=True)
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"pip could not install {', '.join(missing)}:\n{result.stderr}")
    return installed() - before


def remove(distributions: set[str]) -> None:
    if distributions:
        print(f"removing what this run installed: {', '.join(sorted(distributions))}")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", *sorted(distributions)],
                       capture_output=True, check=False)


# ---- integration tests -----------------------------------------------------------------------------


@dataclass
class TestResult:
    name: str
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    details: str = ""


def run_module(work: Path, module: str, select: str | None, verbose: bool,
               env: dict[str, str]) -> list[TestResult]:
    """Run one test module in its own pytest, in a session of its own.

    Once it ended, what is left of that session is stopped: a fixture that
    failed before its `yield` leaves its server running, on the port the next
    module's servers need.
    """
    report = work / f"{module}.xml"
    log = work / f"{module}.log"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rN",
               f"--junitxml={report}", "-o", "junit_family=xunit1",
               f"integration_tests/{module}.py"]
    if importlib.util.find_spec("pytest_timeout"):
        command += ["-o", f"timeout={TEST_TIMEOUT}"]
    if select:
        command += ["-k", select]
    print(f"{module} (output: {log}) ", end="", flush=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            for line in proc.stdout:  # a letter per test as it ends: P, F, E or S
                out.write(line)
                outcome = re.search(rb" (PASSED|FAILED|ERROR|SKIPPED)\b", line)
                if verbose or outcome:
                    text = line.decode("utf-8", "replace")
                    sys.stdout.write(text if verbose else outcome.group(1)[:1].decode())
                    sys.stdout.flush()
            proc.wait()
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    print()
    if not report.exists():  # pytest was stopped: what its -v lines say
        return [TestResult(m.group(1), m.group(2).lower(), "pytest stopped before its report")
                for m in re.finditer(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)",
                                     log.read_text("utf-8", "replace"), re.M)]
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome, message, details = "passed", "", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                message = node.get("message", "")
                details = node.text or ""
                break
        results.append(TestResult(f"{module}::{case.get('name')}", outcome, message, details))
    return results


def run_integration(work: Path, select: str | None, verbose: bool,
                    shrink: bool) -> list[TestResult]:
    print("\n== japronto's integration tests (pytest, a module at a time)", flush=True)
    env = dict(os.environ, PYTHONPATH=str(work))
    if shrink:
        env["JAPRONTO_COMPAT_SHRINK"] = "1"
    results = []
    for module in INTEGRATION_TESTS:
        results += run_module(work, module, select, verbose, env)
    return results


def essentials(result: TestResult, lines: int = 14) -> str:
    """The failure's assertion lines ('E ...'), Hypothesis's failing example included."""
    picked = [line[1:].rstrip() for line in result.details.splitlines() if line.startswith("E ")]
    if not picked:
        picked = [result.message]
    picked = [line if len(line) < 200 else line[:200] + " ..." for line in picked]
    return textwrap.dedent("\n".join(picked[:lines]))


def failure_key(result: TestResult) -> str:
    """What is left of a failure once the test's parameters and addresses are taken out."""
    text = re.sub(r" at 0x[0-9a-f]+", "", essentials(result))
    text = re.sub(r"\d{4}-\d\d-\d\d [\d:,]+ \[\d+\]", "<time> [<pid>]", text)
    text = re.sub(r"\(pid \d+\)|:\d{4,5}\b", "", text)
    text = re.sub(r"\n\s*(connect|prefix|size_k)=.*", "", text)
    return f"{result.name.split('[')[0]}\n{text}"


def print_integration(results: list[TestResult]) -> None:
    """Each distinct failure once, with the tests that failed that way, then counts by module."""
    groups: dict[str, list[str]] = {}
    for r in results:
        if r.outcome in ("failed", "error"):
            groups.setdefault(failure_key(r), []).append(f"{r.outcome} {r.name}")
    for key, names in groups.items():
        print(f"\n{len(names)} x " + (names[0] if len(names) == 1 else
                                      f"{names[0]} and {len(names) - 1} more like it"))
        if len(names) > 1:
            ids = [n.split("::", 1)[1] for n in names[1:]]
            print(textwrap.indent(textwrap.fill(", ".join(ids), 100), "  also: "))
        print(textwrap.indent(key.split("\n", 1)[1], "    "))
    print("\nintegration tests by module:")
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        module = counts.setdefault(r.name.split("::")[0], {})
        module[r.outcome] = module.get(r.outcome, 0) + 1
    for module, by_outcome in counts.items():
        print(f"  {module}: " + ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())))


# ---- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a japronto source tree")
    parser.add_argument("--only", choices=("apps", "integration"), help="run one part only")
    parser.add_argument("-k", dest="select", help="pytest -k expression for the integration tests")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and print it")
    parser.add_argument("--keep-packages", action="store_true",
                        help="leave the packages installed for the run")
    parser.add_argument("--work-around-pending", action="store_true",
                        help="also apply PENDING_RULES, to see what fails behind them")
    parser.add_argument("--shrink", action="store_true",
                        help="let Hypothesis shrink failing examples (much slower)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    if not (checkout / "integration_tests" / "dump.py").exists():
        parser.error(f"{checkout} is not a japronto source tree (no integration_tests/dump.py)")
    if shutil.which("curl") is None and args.only != "integration":
        parser.error("curl is needed to request the examples' routes (scripts/setup.sh installs it)")

    work = Path(tempfile.mkdtemp(prefix="japronto-compat-"))
    new_packages: set[str] = set()
    try:
        blocks = tutorial_blocks(checkout)
        copy_sources(checkout, work, blocks)
        rules = RULES + (PENDING_RULES if args.work_around_pending else ())
        problems = adapt(work, free_port(), rules)
        if problems:
            print("the checkout differs from what the adaptations expect:\n  " + "\n  ".join(problems))
            return 2
        new_packages = install_needed()
        tally = run_apps(work, blocks) if args.only != "integration" else None
        results = (run_integration(work, args.select, args.verbose, args.shrink)
                   if args.only != "apps" else [])
        if results:
            print_integration(results)
        print("\n== summary")
        if tally is not None:
            print(f"  example and tutorial routes: {tally.passed} as japronto, "
                  f"{len(tally.differences)} deliberate differences, {len(tally.failures)} failures")
            for failure in tally.failures:
                print(f"    FAIL {failure[:300]}")
        if results:
            outcomes = [r.outcome for r in results]
            print(f"  integration tests: {outcomes.count('passed')} passed, "
                  f"{outcomes.count('failed')} failed, {outcomes.count('error')} errors, "
                  f"{outcomes.count('skipped')} skipped")
        failed = (tally is not None and tally.failures) or any(
            r.outcome in ("failed", "error") for r in results)
        return 1 if failed else 0
    finally:
        if not args.keep_packages:
            remove(new_packages)
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
