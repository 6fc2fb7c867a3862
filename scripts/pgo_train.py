"""pgo_train.py: the training run of the profile-guided build (scripts/build.sh).

    python -m scripts.pgo_train PROFILE_DIR      (from the repo root)

Serves the bench apps (bench/apps/) with the instrumented lesto installed in
this interpreter and sends each one, with the bench's load client
(bench/load.py), the traffic bench/run.py measures: pipelined batches and
single requests on several connections, sync, JSON and async handlers; and
what bench/ws.py measures: WebSocket echoes of 32 B and 4 KiB messages, on
the Lesto route and the ASGI front-end.
Each server stops with SIGTERM and exits normally, which is when GCC's
instrumentation writes its profile into PROFILE_DIR. Exits 1, saying why,
when a server does not start or answer, or no profile appears.
"""

import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.load import echo_batches, free_port, send_batches, wait_accepting

ROOT = Path(__file__).resolve().parents[1]

APPS = ROOT / "bench" / "apps"
# (app, path, requests per write): what bench/run.py and bench/asgi.py measure. An app
# named module:attribute is an ASGI app, served by the lesto command; the others are
# scripts in bench/apps/. Without the ASGI ones, the profile would mark the ASGI
# front-end as never run and lay it out as cold code (about 30 % more user time).
WORKLOADS = [
    ("hello", "/", 24),
    ("hello", "/", 1),
    ("json_app", "/json", 24),
    ("async_app", "/", 24),
    ("async_app", "/direct", 24),
    ("bench.apps.asgi_hello:app", "/", 24),
    ("bench.apps.asgi_hello:app", "/", 1),
]
# (app, message size): WebSocket echoes, 8 messages in flight. Untrained, the WebSocket
# paths would be laid out as cold code, as the ASGI front-end was.
WEBSOCKETS = [
    ("ws_echo", 32),
    ("ws_echo", 4096),
    ("bench.apps.asgi_ws_echo:app", 32),
    ("bench.apps.asgi_ws_echo:app", 4096),
]
# (path, requests): bench/apps/files_app.py's files and stream, as bench/files.py measures
# them. Untrained, the engine's sendfile and stream paths were laid out as cold code too.
FILES = [("/static/1k.bin", 20_000), ("/static/1m.bin", 2_000), ("/stream", 2_000)]
CONNECTIONS = 8
REQUESTS = 60_000  # per workload: a few seconds, enough for the profile's proportions
IN_FLIGHT = 8
START_TIMEOUT = 20.0


def train(app: str, drive: Callable[[int], None]) -> None:
    """Serve APP and `drive(port)` it."""
    port = free_port()
    command = ([sys.executable, "-m", "lesto", app, "--host", "127.0.0.1", "--port", str(port)]
               if ":" in app else [sys.executable, str(APPS / f"{app}.py"), str(port)])
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        try:
            wait_accepting(port, proc, START_TIMEOUT)
            drive(port)
        except RuntimeError as e:
            raise SystemExit(f"pgo_train.py: {app}: {e}") from None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit(f"pgo_train.py: {app} did not stop after SIGTERM") from None
    if proc.returncode != 0:
        raise SystemExit(f"pgo_train.py: {app} exited with {proc.returncode}:\n{err.decode()[-2000:]}")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().split("\n\n")[1].strip())
    profile_dir = Path(sys.argv[1])
    for app, path, depth in WORKLOADS:
        started = time.monotonic()
        # REQUESTS requests, `depth` per write, over CONNECTIONS connections.
        batches = REQUESTS // (depth * CONNECTIONS)
        train(app, functools.partial(send_batches, path=path, depth=depth, batches=batches,
                                     connections=CONNECTIONS, timeout=10.0))
        print(f"pgo_train.py: {app} {path}, {depth} per write: {time.monotonic() - started:.1f} s")
    for app, size in WEBSOCKETS:
        started = time.monotonic()
        batches = REQUESTS // (IN_FLIGHT * CONNECTIONS)
        train(app, functools.partial(echo_batches, size=size, depth=IN_FLIGHT, batches=batches,
                                     connections=CONNECTIONS, timeout=10.0))
        print(f"pgo_train.py: {app}, WebSocket echo of {size} B: {time.monotonic() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="lesto-pgo-files-") as files:
        # Zeros: send_batches counts status lines, which random bytes might hold.
        Path(files, "1k.bin").write_bytes(bytes(1024))
        Path(files, "1m.bin").write_bytes(bytes(1024 * 1024))
        os.environ["BENCH_FILES"] = files
        for path, requests in FILES:
            started = time.monotonic()
            train("files_app", functools.partial(send_batches, path=path, depth=1,
                                                 batches=requests // CONNECTIONS,
                                                 connections=CONNECTIONS, timeout=10.0))
            print(f"pgo_train.py: files_app {path}: {time.monotonic() - started:.1f} s")
    written = list(profile_dir.rglob("*.gcda")) if profile_dir.is_dir() else []
    if not written:
        raise SystemExit(f"pgo_train.py: no profile (*.gcda) in {profile_dir}: "
                         "is the installed lesto the instrumented build (LESTO_PGO=generate)?")
    print(f"pgo_train.py: {len(written)} profile files in {profile_dir}")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
