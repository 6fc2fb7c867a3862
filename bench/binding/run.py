"""Binding microbenchmark: the CPython C API against nanobind on Lesto's hot call shapes.

Builds bench/binding/ (capi_mod and nb_mod, one CMake project) with the
running Python into bench/binding/build/<interpreter>/, imports both into this
process and times, for each:

  1. handler(req), with `def handler(req): return req.Response(text='Hello world!')`,
     called from a Python loop (timeit) and from a C++ loop in the module
     (what the engine does)
  2. req.method + req.path        (two attribute reads of cached str objects)
  3. req.Response(text='x', code=201)

The clock is the thread's CPU time by default (--timer cpu): on a shared
machine, time spent descheduled is not charged to the call.

Every sample is a timeit run of about --sample seconds. Samples are taken in
rounds (every case once per round), so drift on the machine hits all cases
alike; the table reports the minimum over rounds, and the spread
(median / min - 1) so an unstable run shows itself. Stdlib only.

    python bench/binding/run.py                 # build if needed, 30 rounds
    python bench/binding/run.py --no-build --rounds 50 --markdown
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
# One build tree per interpreter (build/cpython-311, ...), so runs under
# several Python versions do not reconfigure each other's.
BUILD = os.path.join(HERE, "build", sys.implementation.cache_tag)

HANDLER_SRC = """
def handler(req):
    return req.Response(text='Hello world!')

def handler_kwargs(req):
    return req.Response_kwargs(text='Hello world!')
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def nanobind_cmake_dir() -> str:
    try:
        out = subprocess.run([sys.executable, "-m", "nanobind", "--cmake_dir"], check=True,
                             capture_output=True, text=True)
    except subprocess.CalledProcessError:
        sys.exit(f"nanobind is not installed in {sys.executable}: "
                 f"{sys.executable} -m pip install nanobind")
    return out.stdout.strip()


def build() -> None:
    configure = ["cmake", "-S", HERE, "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                 f"-DPython_EXECUTABLE={sys.executable}", f"-Dnanobind_DIR={nanobind_cmake_dir()}"]
    log("+ " + " ".join(configure))
    subprocess.run(configure, check=True, stdout=sys.stderr)
    log(f"+ cmake --build {BUILD}")
    subprocess.run(["cmake", "--build", BUILD], check=True, stdout=sys.stderr)


class Case:
    """One (shape, binding) pair; time(n) returns seconds for n calls."""

    def __init__(self, key: str, stmt: str, env: dict, timer, driven: bool = False):
        self.key = key
        self.samples: list[float] = []  # ns per call
        self.n = 0
        if driven:
            # The loop runs in C++: one timeit execution makes n calls.
            self._timer = timeit.Timer("drive(handler, req, n)", timer=timer, globals=env)
            self._env = env
        else:
            self._timer = timeit.Timer(stmt, timer=timer, globals=env)
            self._env = None

    def time(self, n: int) -> float:
        if self._env is not None:
            self._env["n"] = n
            return self._timer.timeit(1)
        return self._timer.timeit(n)

    def calibrate(self, target: float) -> None:
        n = 1000
        while True:
            t = self.time(n)
            if t >= target / 4:
                break
            n *= 4
        self.n = max(1000, int(n * target / t))

    def sample(self) -> None:
        self.samples.append(self.time(self.n) / self.n * 1e9)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def spread(self) -> float:
        return statistics.median(self.samples) / self.best - 1


def make_cases(capi, nb, timer) -> dict[str, Case]:
    ns: dict = {}
    exec(HANDLER_SRC, ns)
    handler, handler_kwargs = ns["handler"], ns["handler_kwargs"]
    creq = capi.Request("GET", "/")
    nreq = nb.Request("GET", "/")

    def env(req, h=handler, drive=None):
        return {"req": req, "handler": h, "drive": drive}

    cases = [
        Case("handler/py/capi", "handler(req)", env(creq), timer),
        Case("handler/py/nb", "handler(req)", env(nreq), timer),
        Case("handler/py/nb_kwargs", "handler(req)", env(nreq, handler_kwargs), timer),
        Case("handler/cpp/capi", "", env(creq, drive=capi.drive), timer, driven=True),
        Case("handler/cpp/nb", "", env(nreq, drive=nb.drive), timer, driven=True),
        Case("handler/cpp/nb_ptr", "", env(nreq, drive=nb.drive_cpp), timer, driven=True),
        Case("attrs/capi", "req.method; req.path", env(creq), timer),
        Case("attrs/nb", "req.method; req.path", env(nreq), timer),
        Case("response/capi", "req.Response(text='x', code=201)", env(creq), timer),
        Case("response/nb", "req.Response(text='x', code=201)", env(nreq), timer),
        Case("response/nb_kwargs", "req.Response_kwargs(text='x', code=201)", env(nreq), timer),
        # Loop overhead of timeit itself, for reading the small numbers.
        Case("loop", "pass", {}, timer),
    ]
    return {c.key: c for c in cases}


def check(capi, nb) -> None:
    """Both bindings must do the same work: same results, same refusals."""
    ns: dict = {}
    exec(HANDLER_SRC, ns)
    for mod, respond in ((capi, "Response"), (nb, "Response"), (nb, "Response_kwargs")):
        req = mod.Request("GET", "/")
        assert (req.method, req.path) == ("GET", "/")
        r = getattr(req, respond)(text="x", code=201)
        assert (type(r).__name__, r.code, r.text, r.mime_type) == ("Response", 201, "x", None), mod
        r = getattr(req, respond)(text="Hello world!")
        assert (r.code, r.text) == (200, "Hello world!")
        for bad in ({"code": 700}, {"code": "x"}, {"text": b"x"}, {"nope": 1}):
            try:
                getattr(req, respond)(**bad)
            except (TypeError, ValueError):
                pass
            else:
                raise AssertionError(f"{mod.__name__}.{respond}({bad}) was accepted")
    for drive, req in ((capi.drive, capi.Request("GET", "/")), (nb.drive, nb.Request("GET", "/")),
                       (nb.drive_cpp, nb.Request("GET", "/"))):
        seen = []
        drive(seen.append, req, 3)
        assert seen == [req] * 3 and all(r is req for r in seen), drive


ROWS = [
    # label, C API case, nanobind case
    ("1. `handler(req)`, Python loop", "handler/py/capi", "handler/py/nb"),
    ("1. `handler(req)`, C++ loop (engine side)", "handler/cpp/capi", "handler/cpp/nb"),
    ("2. `req.method` + `req.path`", "attrs/capi", "attrs/nb"),
    ("3. `req.Response(text='x', code=201)`", "response/capi", "response/nb"),
    ("1. Python loop, nb `**kwargs`", "handler/py/capi", "handler/py/nb_kwargs"),
    ("1. C++ loop, nb casts `Request*` each call", "handler/cpp/capi", "handler/cpp/nb_ptr"),
    ("3. nb `**kwargs`", "response/capi", "response/nb_kwargs"),
]


def table(cases: dict[str, Case], markdown: bool) -> str:
    head = ["call", "C API ns", "nanobind ns", "nb - C API ns", "nb / C API", "spread C API / nb"]
    body = []
    for label, c, n in ROWS:
        a, b = cases[c], cases[n]
        body.append([label, f"{a.best:.1f}", f"{b.best:.1f}", f"{b.best - a.best:+.1f}",
                     f"{b.best / a.best:.2f}", f"{a.spread:.0%} / {b.spread:.0%}"])
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
    else:
        widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]

        def fmt(row: list[str]) -> str:
            cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, len(row))]
            return "  ".join(cells)

        lines = [fmt(head)] + [fmt(row) for row in body]
    return "\n".join(lines)


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip() + f", {os.cpu_count()} CPUs"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=30, help="samples per case, min is reported (default 30)")
    ap.add_argument("--sample", type=float, default=0.05, help="seconds per sample (default 0.05)")
    ap.add_argument("--timer", choices=("cpu", "wall"), default="cpu",
                    help="cpu: this thread's CPU time (default; time the scheduler gives to other "
                         "work on the machine is not counted); wall: time.perf_counter")
    ap.add_argument("--no-build", action="store_true", help="use the modules already in build/<interpreter>/")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    args = ap.parse_args()

    if not args.no_build:
        build()
    sys.path.insert(0, BUILD)
    import capi_mod
    import nanobind
    import nb_mod

    check(capi_mod, nb_mod)
    timer = time.thread_time if args.timer == "cpu" else time.perf_counter
    cases = make_cases(capi_mod, nb_mod, timer)
    log(f"calibrating {len(cases)} cases to ~{args.sample} s a sample")
    for c in cases.values():
        c.calibrate(args.sample)
    for r in range(args.rounds):
        for c in cases.values():
            c.sample()
        log(f"round {r + 1}/{args.rounds}")

    print(f"date: {datetime.date.today().isoformat()}")
    print(f"python: Python {platform.python_version()} ({sys.executable})")
    print(f"nanobind: {nanobind.__version__}")
    print(f"machine: {machine()}")
    print(f"min of {args.rounds} rounds, ~{args.sample} s a sample, {args.timer} time; "
          f"timeit loop overhead {cases['loop'].best:.1f} ns (included in the Python-loop rows)")
    print()
    print(table(cases, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
