"""asgi_servers: an app of asgi_apps/ served by uvicorn (the reference) or by Lesto, as a real process.

uvicorn with httptools is the reference the differential test compares
Lesto with; uvicorn with h11 is a second, independent reference: the table's
answers must already agree between the two uvicorn parsers, or a case tests
something that is the server's free choice rather than the app's answer.
"""

import functools
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ServerProcess

ASGI_APPS_DIR = Path(__file__).parent / "asgi_apps"
APPS = {  # name: (module:attribute, options given to both servers)
    "fastapi": ("fastapi_app:app", ["--lifespan", "on"]),
    "starlette": ("starlette_app:app", ["--lifespan", "on"]),
    "litestar": ("litestar_app:app", ["--lifespan", "on"]),
    # Django's ASGI handler refuses the lifespan scope: `auto` serves it without one.
    "django": ("django_project.asgi:application", ["--lifespan", "auto"]),
    # The FastAPI app mounted under /api behind a proxy: its URLs (docs, OpenAPI) say so.
    "fastapi-rooted": ("fastapi_app:app", ["--lifespan", "on", "--root-path", "/api"]),
}
REFERENCE = "uvicorn"
# lesto: `python -m lesto MODULE:APP --interface asgi ...`; lesto-serve: `lesto.serve(app, ...)`.
SERVERS = ("uvicorn", "uvicorn-h11", "lesto", "lesto-serve")
WAIT = 10.0  # generous: only stops a test whose server never logs what it must


@functools.cache
def lesto_missing(server):
    """Why Lesto cannot serve these apps yet as `server` ("lesto" or "lesto-serve"), or None."""
    if server == "lesto-serve":
        code = "import lesto; print(hasattr(lesto, 'serve'))"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=60)
        if result.stdout.strip() != "True":
            return f"Lesto has no ASGI front-end yet: no lesto.serve {result.stderr.strip()[-300:]}"
        return None
    result = subprocess.run([sys.executable, "-m", "lesto", "--help"], capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        return f"`python -m lesto --help` failed: {result.stderr.strip()[-300:]}"
    if "--interface" not in result.stdout:
        return "Lesto has no ASGI front-end yet: `python -m lesto --help` shows no --interface"
    return None


class AsgiServer(ServerProcess):
    """One app of APPS (`app`) under one server (`server`: one of SERVERS) on 127.0.0.1."""

    cwd = ASGI_APPS_DIR

    def __init__(self, app, server, log_dir, env):
        super().__init__(app, "uvloop", log_dir)  # Lesto reads LESTO_LOOP; uvicorn picks uvloop too
        self.server = server
        self.log_prefix = f"asgi-{server}-"
        self.extra_env = env
        if server != "lesto":  # uvicorn stops cleanly, then raises the signal again to exit by it
            self.clean_exits = (0, -signal.SIGTERM)

    def __repr__(self):
        return f"<AsgiServer {self.app} on {self.server} port={self.port}>"

    def command(self):
        target, options = APPS[self.app]
        where = ["--host", self.host, "--port", str(self.port), *options]
        if self.server == "lesto":
            return [sys.executable, "-X", "faulthandler", "-m", "lesto", target, *where,
                    "--interface", "asgi"]
        if self.server == "lesto-serve":  # from Python; the app's own options are the defaults
            module, attribute = target.split(":")
            code = (f"import lesto, {module} as module\n"
                    f"lesto.serve(module.{attribute}, host={self.host!r}, port={self.port})")
            return [sys.executable, "-X", "faulthandler", "-c", code]
        http = "h11" if self.server == "uvicorn-h11" else "httptools"
        return [sys.executable, "-X", "faulthandler", "-m", "uvicorn", target, *where,
                "--http", http, "--no-access-log"]

    def wait_for_output(self, text):
        """Waits until the server's output since the test began holds `text`; fails after WAIT s.

        An error an app raises to the server after its response is logged when the
        client may already have the response: waiting keeps the log in its own test.
        """
        deadline = time.monotonic() + WAIT
        while text not in self.log()[self._mark:]:
            if time.monotonic() > deadline:
                pytest.fail(f"{self!r} did not log {text!r} within {WAIT} s:\n"
                            f"{self.log()[self._mark:]}", pytrace=False)
            time.sleep(0.02)


class Pool:
    """The servers a test module uses, each started on first use and all stopped at the end."""

    def __init__(self, log_dir, env):
        self.log_dir = log_dir
        self.env = env
        self._servers = {}

    def get(self, app, server):
        if server.startswith("lesto") and lesto_missing(server):
            pytest.skip(lesto_missing(server))
        key = (app, server)
        if key not in self._servers:
            self._servers[key] = AsgiServer(app, server, self.log_dir, self.env)
            self._servers[key].start()
        return self._servers[key]

    def stop_all(self):
        """Stops every server; what went wrong in any of them (see ServerProcess.stop)."""
        problems = []
        for server in self._servers.values():
            problems += server.stop()
        return problems


def checked(*servers):
    """Per test: each server's output during the test is checked as conftest checks its servers."""
    for server in servers:
        server.begin_test()
    yield servers
    problems = []
    for server in servers:
        problems += server.end_test()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
