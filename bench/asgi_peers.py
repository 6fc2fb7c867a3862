"""asgi_peers.py: the environment of the servers bench.asgi and bench.ws measure Lesto against.

granian, uvicorn and the `websockets` library live in their own virtual environment,
build/bench-peers/venv, made on first use with the Python that runs the
bench, never in the project's .venv: what Lesto is measured against stays out
of what Lesto is tested with. The frameworks the apps use (FastAPI,
Starlette, orjson) and uvloop are pinned there to the versions installed in
the running Python, so every server runs the same app code on the same event
loop. matplotlib is there too, for the chart (bench/asgi_chart.py).
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from bench.run import ROOT

VENV = ROOT / "build" / "bench-peers" / "venv"
PYTHON = VENV / "bin" / "python"
MARKER = VENV / "bench-requirements.txt"  # what was installed last; a change installs again
SERVERS = ["uvicorn[standard]", "granian", "websockets", "matplotlib"]
SHARED = ["fastapi", "starlette", "orjson", "uvloop"]  # pinned to the running Python's versions
REPORTED = ["granian", "uvicorn", "websockets", "httptools", "uvloop", "fastapi", "starlette", "orjson"]


def requirements() -> list[str]:
    pins = []
    for name in SHARED:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)  # not in the project's Python: Lesto's rows of it will say so
    return SERVERS + pins


def ensure() -> Path:
    """The peers' Python, installing or updating their environment when needed."""
    wanted = "\n".join(requirements()) + "\n"
    if PYTHON.exists() and MARKER.exists() and MARKER.read_text() == wanted:
        return PYTHON
    if not PYTHON.exists():
        print(f"asgi: creating the peers' environment {VENV.relative_to(ROOT)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print(f"asgi: installing {' '.join(requirements())} there", file=sys.stderr, flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "-q", *requirements()], check=True, stdout=sys.stderr
    )
    MARKER.write_text(wanted)
    return PYTHON


def versions(python: Path) -> dict[str, str]:
    """name -> installed version in the peers' environment, for the report."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python), "-c", code, *REPORTED], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def granian(target: str, pipelined: bool = False, websockets: bool = False) -> tuple[str, ...]:
    """granian serving TARGET; the port is appended. One worker, one runtime thread, as Lesto.
    WebSockets are off (`--no-ws`) unless `websockets` (bench/ws.py).

    `--http 1` because Lesto speaks HTTP/1.1 only: granian need not look for
    HTTP/2's preface. For pipelined clients granian has
    `--http1-pipeline-flush` (experimental, off by default), which gathers
    the answers to one batch into fewer writes: it took about a fifth off
    its CPU per request at 24 pipelined here, so its pipelined row uses it,
    to be measured against granian at its best."""
    return (
        str(VENV / "bin" / "granian"),
        "--interface", "asgi",
        "--loop", "uvloop",
        *(() if websockets else ("--no-ws",)),
        "--http", "1",
        *(("--http1-pipeline-flush",) if pipelined else ()),
        "--workers", "1",
        "--log-level", "warning",
        "--host", "127.0.0.1",
        target,
        "--port",
    )  # fmt: skip


def uvicorn(target: str) -> tuple[str, ...]:
    """uvicorn serving TARGET with httptools and uvloop, in one process; the port is appended."""
    return (
        str(PYTHON),
        "-m", "uvicorn",
        target,
        "--loop", "uvloop",
        "--http", "httptools",
        "--no-access-log",
        "--log-level", "warning",
        "--host", "127.0.0.1",
        "--port",
    )  # fmt: skip


def websockets_server(module: str) -> tuple[str, ...]:
    """The `websockets` library's server in MODULE (run with `-m`, from the repo root); the
    port is appended."""
    return (str(PYTHON), "-m", module)
