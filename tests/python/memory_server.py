"""memory_server: a test app served in this process by lesto.testing, with a server process's face.

For the tests about what the app makes of requests (attributes, responses,
routing, error handlers), a socket adds nothing but a process to start: a
MemoryServer gives them what conftest's ServerProcess gives (connect(),
exchange(), log(), expect_traceback(), the same log checks after each
test), on memory connections of the same engine. The bytes are the same:
test_testclient_wire.py checks that.
"""

import asyncio
import importlib.util
import io
import logging
import os
import socket
import sys

import pytest
import rawhttp
from conftest import APPS_DIR, log_problems

from lesto.testing import TestClient

RECORD_FORMAT = "LOG %(levelname)s %(name)s: %(message)s"  # apps/applog.py's


def load_app(name):
    """apps/<name>.py's app (its `app`, or what its make_app() makes), from a module of its own."""
    if str(APPS_DIR) not in sys.path:
        sys.path.insert(0, str(APPS_DIR))  # the apps import their helpers (applog, records)
    spec = importlib.util.spec_from_file_location(f"memory_{name}", APPS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_app() if hasattr(module, "make_app") else module.app


class MemoryConnection(rawhttp.Connection):
    """rawhttp's client connection on a memory connection: each read runs the loop until bytes come."""

    def __init__(self, client, timeout=rawhttp.TIMEOUT):
        self.transport = client.lesto_transport
        self.conn = self.transport.server.open()
        self.timeout = timeout
        self.buffer = b""
        self.eof = False
        self.reset = False

    def close(self):
        if not self.conn.close_if_idle():
            self.transport.run(self.conn.close())

    def send(self, data):
        self.transport.run(self.conn.send(data))

    def shutdown_write(self):
        self.transport.run(self.conn.send_eof())

    def send_in_pieces(self, data, sizes=(1, 2, 3), pause=0.001):
        i = k = 0
        while i < len(data):
            n = sizes[k % len(sizes)]
            self.send(data[i:i + n])
            i += n
            k += 1

    def _fill(self):
        if self.eof:
            return False
        # What the engine wrote already is there without a turn of the loop.
        chunk = self.conn.take()
        if not chunk and not self.conn.state()[2]:
            try:
                chunk = self.transport.run(asyncio.wait_for(self.conn.receive(), self.timeout))
            except asyncio.TimeoutError:
                raise socket.timeout(f"nothing from the engine in {self.timeout} s") from None
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True


class MemoryServer:
    """apps/<app>.py served in memory on the loop `loop` names (uvloop or asyncio)."""

    def __init__(self, app, loop):
        self.app = app
        self.loop = loop
        self.client = None
        self._log = io.StringIO()
        self._handler = logging.StreamHandler(self._log)
        self._handler.setFormatter(logging.Formatter(RECORD_FORMAT))
        self._handler.addFilter(self._ours)
        self._mark = 0
        self._allowed = []

    def __repr__(self):
        return f"<MemoryServer {self.app} loop={self.loop}>"

    def _ours(self, record):
        """A record is this server's when made while its loop runs (several serve in one process)."""
        try:
            return asyncio.get_running_loop() is self.client.server.loop
        except RuntimeError:
            return False

    def start(self):
        before = os.environ.get("LESTO_LOOP")
        os.environ["LESTO_LOOP"] = self.loop  # read when the client makes its loop
        try:
            # The log checks stand for raising: an app's exception is a failure unless announced.
            self.client = TestClient(load_app(self.app), raise_server_exceptions=False)
        finally:
            if before is None:
                del os.environ["LESTO_LOOP"]
            else:
                os.environ["LESTO_LOOP"] = before
        logging.getLogger().addHandler(self._handler)
        self.client.__enter__()

    def stop(self):
        try:
            self.client.__exit__(None, None, None)
        finally:
            logging.getLogger().removeHandler(self._handler)
        return log_problems(self.log()[self._mark:], self._allowed)

    # ---- what a test sees of a server (conftest.ServerProcess) ------------------------

    def log(self):
        return self._log.getvalue()

    def begin_test(self):
        self._mark = len(self.log())
        self._allowed = []

    def expect_traceback(self, marker):
        self._allowed.append(marker)

    def end_test(self):
        problems = log_problems(self.log()[self._mark:], self._allowed)
        self._mark = len(self.log())
        return problems

    def connect(self):
        return MemoryConnection(self.client)

    def exchange(self, data, n=1, head_request=False):
        with self.connect() as conn:
            conn.send(data)
            responses = conn.read_responses(n, head_request=head_request)
        return responses[0] if n == 1 else responses


def memory_session_server(app):
    """A session fixture: apps/<app>.py served in memory, per loop, its log checked at the end.

    The in-memory twin of conftest._session_server; a test takes it through conftest._checked.
    """

    @pytest.fixture(scope="session")
    def fixture(loop_name):
        server = MemoryServer(app, loop_name)
        server.start()
        yield server
        problems = server.stop()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return fixture
