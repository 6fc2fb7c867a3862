"""conftest: real Lesto server processes, one per app and event loop, and the checks of their logs.

Every test that takes `echo_server` or `handlers_server` runs once on uvloop
and once on the stdlib asyncio loop (LESTO_LOOP=asyncio): the same suite
against two loops, a differential test of the engine's loop glue. A server
process lives for the whole session per loop; after each test its output
since the test began is checked for tracebacks and crashes.
"""

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rawhttp
import tls_helpers

APPS_DIR = Path(__file__).parent / "apps"
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
LOOPS = ("uvloop", "asyncio")
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3  # a free port can be taken by another process before the server binds it
# Each start of each server gets its own log file: test modules that start the
# same app (each has its own session fixture) must not share, and truncate, one.
_LOG_NUMBERS = itertools.count(1)

RECORD_PREFIX = "LOG "  # the apps' log format, apps/applog.py
FAILURE_LEVELS = ("LOG ERROR ", "LOG CRITICAL ")
TRACEBACK = "Traceback (most recent call last)"
# Never expected in a server's output, whatever the test.
CRASH_MARKERS = (
    "Fatal Python error",
    "Segmentation fault",
    "Exception ignored",
    "AddressSanitizer",
    "runtime error:",
    "core dumped",
)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def log_records(text):
    """The server's output cut into log records; output before the first record is one too."""
    records = [[]]
    for line in text.splitlines():
        if line.startswith(RECORD_PREFIX):
            records.append([])
        records[-1].append(line)
    return ["\n".join(lines) for lines in records if lines]


def log_problems(text, allowed_markers):
    """What is wrong in a server's output: crash markers, and errors the test did not announce.

    An error is a log record at ERROR level or above, or any output holding a
    traceback; it is expected when it contains one of `allowed_markers`.
    """
    problems = [f"server output contains {m!r}" for m in CRASH_MARKERS if m in text]
    for record in log_records(text):
        failed = record.startswith(FAILURE_LEVELS) or TRACEBACK in record
        if failed and not any(marker in record for marker in allowed_markers):
            problems.append(f"unexpected error in server output:\n{record}")
    return problems


class ServerProcess:
    """`python -X faulthandler apps/<app>.py PORT` with LESTO_LOOP=<loop>, output in a log file."""

    def __init__(self, app, loop, log_dir):
        self.app = app
        self.loop = loop
        self.log_dir = log_dir
        self.host = HOST
        self.port = None
        self.proc = None
        self.log_path = None
        self._mark = 0
        self._allowed = []

    def __repr__(self):
        return f"<ServerProcess {self.app} loop={self.loop} port={self.port}>"

    # ---- lifecycle -----------------------------------------------------------

    log_prefix = ""
    cwd = None
    extra_env = {}  # set on the server's environment, over the test process's
    clean_exits = (0,)  # the exit codes of a clean stop after SIGTERM

    def command(self):
        """The server's command line, for self.port."""
        return [sys.executable, "-X", "faulthandler", str(APPS_DIR / f"{self.app}.py"),
                str(self.port)]

    def start(self):
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            self.log_path = (self.log_dir /
                             f"{self.log_prefix}{self.app}-{self.loop}-{next(_LOG_NUMBERS)}.log")
            env = dict(os.environ, LESTO_LOOP=self.loop, PYTHONUNBUFFERED="1", **self.extra_env)
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=env, cwd=self.cwd,
                )
            if self._wait_ready():
                self._mark = 0
                return
            if "address already in use" not in self.log().lower():  # uvicorn says it in lower case
                break
        pytest.fail(f"{self!r} did not start (exit code {self.proc.poll()}):\n{self.log()}",
                    pytrace=False)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection((self.host, self.port), timeout=1.0).close()
                return True
            except OSError:
                time.sleep(0.05)
        self._kill()
        return False

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def stop(self):
        """SIGTERM, then SIGKILL; returns what went wrong (a hang, an exit code, its output)."""
        problems = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"{self!r} still running {STOP_TIMEOUT} s after SIGTERM; killed")
                self._kill()
            else:
                if self.proc.returncode not in self.clean_exits:
                    problems.append(f"{self!r} exited with {self.proc.returncode} after SIGTERM")
        problems += log_problems(self.log()[self._mark:], self._allowed)
        return problems

    def log(self):
        return self.log_path.read_bytes().decode("utf-8", "replace")

    # ---- per test ------------------------------------------------------------

    def begin_test(self):
        if self.proc.poll() is not None:  # an earlier test crashed it: start afresh
            self.start()
        self._mark = len(self.log())
        self._allowed = []

    def expect_traceback(self, marker):
        """This test makes the server log a traceback containing `marker`."""
        self._allowed.append(marker)

    def end_test(self):
        problems = log_problems(self.log()[self._mark:], self._allowed)
        if self.proc.poll() is not None:
            problems.append(f"{self!r} died during the test, exit code {self.proc.returncode}:\n"
                            f"{self.log()[self._mark:]}")
        self._mark = len(self.log())
        return problems

    # ---- clients ---------------------------------------------------------------

    def connect(self):
        return rawhttp.Connection(self.host, self.port)

    def exchange(self, data, n=1, head_request=False):
        """Send `data` on a fresh connection and read `n` responses."""
        with self.connect() as conn:
            conn.send(data)
            responses = conn.read_responses(n, head_request=head_request)
        return responses[0] if n == 1 else responses


@pytest.fixture(scope="session", params=LOOPS)
def loop_name(request):
    return request.param


@pytest.fixture(scope="session")
def server_log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("server-logs")


def _session_server(app):
    @pytest.fixture(scope="session")
    def fixture(loop_name, server_log_dir):
        server = ServerProcess(app, loop_name, server_log_dir)
        server.start()
        yield server
        problems = server.stop()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return fixture


def _checked(server):
    server.begin_test()
    yield server
    problems = server.end_test()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


_echo_process = _session_server("echo_app")
_handlers_process = _session_server("handlers_app")
_tight_process = _session_server("tight_app")
_lifecycle_process = _session_server("lifecycle_app")


@pytest.fixture
def echo_server(_echo_process):
    """The echo app (apps/echo_app.py) on the current loop."""
    yield from _checked(_echo_process)


@pytest.fixture
def handlers_server(_handlers_process):
    """The handlers app (apps/handlers_app.py) on the current loop."""
    yield from _checked(_handlers_process)


@pytest.fixture
def tight_server(_tight_process):
    """The handlers app with tiny limits and a 1 s keep-alive timeout (apps/tight_app.py)."""
    yield from _checked(_tight_process)


@pytest.fixture
def lifecycle_server(_lifecycle_process):
    """Short timeouts, access log, done callbacks and cancellation records (apps/lifecycle_app.py)."""
    yield from _checked(_lifecycle_process)


_tasks_process = _session_server("tasks_app")


@pytest.fixture
def tasks_server(_tasks_process):
    """Handlers using asyncio.timeout, TaskGroup and current_task (apps/tasks_app.py)."""
    yield from _checked(_tasks_process)


_streams_process = _session_server("streams_app")
_ws_process = _session_server("ws_app")


@pytest.fixture
def ws_server(_ws_process):
    """WebSocket routes whose handlers record their fate (apps/ws_app.py)."""
    yield from _checked(_ws_process)


@pytest.fixture
def streams_server(_streams_process):
    """Streamed and file responses, producers that record their fate (apps/streams_app.py)."""
    yield from _checked(_streams_process)


# ---- the same apps over TLS (tls_helpers: certificates made for the session) ----------


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """This session's CA, server and client certificates, in files (tls_helpers.Certs)."""
    return tls_helpers.make_certs(tmp_path_factory.mktemp("certs"))


class TlsServerProcess(tls_helpers.TlsClientMixin, ServerProcess):
    """A test app serving HTTPS with the session's certificate; connect() speaks TLS."""

    log_prefix = "tls-"

    def __init__(self, app, loop, log_dir, certs, **options):
        super().__init__(app, loop, log_dir)
        self.certs = certs
        self.context = certs.client_context()
        self.extra_env = tls_helpers.tls_env(certs.server_options(**options))


def _session_tls_server(app):
    @pytest.fixture(scope="session")
    def fixture(loop_name, server_log_dir, certs):
        server = TlsServerProcess(app, loop_name, server_log_dir, certs)
        server.start()
        yield server
        problems = server.stop()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return fixture


_tls_echo_process = _session_tls_server("echo_app")
_tls_ws_process = _session_tls_server("ws_app")
_tls_streams_process = _session_tls_server("streams_app")


@pytest.fixture
def tls_echo_server(_tls_echo_process):
    """The echo app serving HTTPS, on the current loop."""
    yield from _checked(_tls_echo_process)


@pytest.fixture
def tls_ws_server(_tls_ws_process):
    """The WebSocket app serving WSS, on the current loop."""
    yield from _checked(_tls_ws_process)


@pytest.fixture
def tls_streams_server(_tls_streams_process):
    """The streams and files app serving HTTPS, on the current loop."""
    yield from _checked(_tls_streams_process)
# ---- examples/: each run as its docstring says, on first use by a module --------------------


class ExampleProcess(ServerProcess):
    """An example app, started the way its docstring says: `python examples/X.py HOST PORT`."""

    log_prefix = "example-"
    cwd = EXAMPLES_DIR

    def command(self):
        return [sys.executable, "-X", "faulthandler", str(EXAMPLES_DIR / f"{self.app}.py"),
                self.host, str(self.port)]


EXAMPLES = ("hello", "async_handlers", "router", "request", "response", "exceptions", "extend",
            "html_template", "sse", "chat")


@pytest.fixture(scope="module")
def _example_processes(loop_name, server_log_dir):
    """Starts each example on first use; stops them all, checking their output, at the end."""
    processes = {}

    def process(name):
        if name not in processes:
            processes[name] = ExampleProcess(name, loop_name, server_log_dir)
            processes[name].start()
        return processes[name]

    yield process
    problems = []
    for started in processes.values():
        problems += started.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def example(request, _example_processes):
    """The example a test names with @examples(name), its output checked like conftest's servers."""
    yield from _checked(_example_processes(request.param))


