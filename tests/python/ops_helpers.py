"""ops_helpers: a Lesto command (CLI or app script) as a real process, its workers, its log.

The process-model tests (test_ops_*.py) start `lesto ...` or `python app.py`
with their output in a file, find the workers among the master's children in
/proc, and talk to them over real sockets. Every wait has a generous
deadline; none decides a test by how long something took.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import rawhttp
from conftest import APPS_DIR, HOST, free_port, log_problems

LESTO = [sys.executable, "-X", "faulthandler", "-m", "lesto"]
WAIT = 20.0  # generous: a deadline only stops a test that would hang
SERVING = "Lesto serving on"


def wait_until(predicate, what, timeout=WAIT, interval=0.05):
    """Poll `predicate` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def killed_after():
    """A list for the Lesto processes a test starts; any still running at the end is killed."""
    started = []
    try:
        yield started
    finally:
        for server in started:
            if server.proc.poll() is None:
                server.kill()


def hook_lines(hook_log):
    """The lines ops_app's hooks wrote to OPS_HOOK_LOG, none before the file exists."""
    return hook_log.read_text().splitlines() if hook_log.exists() else []


def child_pids(pid):
    """The pids of the live processes whose parent is `pid` (zombies left out)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == pid and state != "Z":
            children.add(int(entry.name))
    return children


def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def request(port, path="/", headers=(), timeout=rawhttp.TIMEOUT):
    """GET `path` on a fresh connection; the parsed response."""
    with rawhttp.Connection(HOST, port, timeout=timeout) as conn:
        conn.send(rawhttp.get(path, headers))
        return conn.read_response()


def copy_app(name, directory):
    """Copy apps/<name>.py into `directory` (for tests that edit it); returns the new path."""
    target = Path(directory) / f"{name}.py"
    shutil.copy(APPS_DIR / f"{name}.py", target)
    return target


class Lesto:
    """A Lesto process: `args` run with the output in `log_path`, on a free port unless given."""

    def __init__(self, args, log_path, *, cwd=APPS_DIR, env=None, port=None, port_arg=True):
        self.args = list(args)
        self.log_path = Path(log_path)
        self.cwd = cwd
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.port = port or free_port()
        self.port_arg = port_arg
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, wait_for=SERVING):
        args = self.args + (["--port", str(self.port)] if self.port_arg else [])
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, cwd=self.cwd, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        if wait_for:
            self.wait_for_log(wait_for)
        return self

    def log(self):
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def wait_for_log(self, text, count=1, timeout=WAIT):
        def seen():
            if self.log().count(text) >= count:
                return True
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode} before logging "
                                     f"{text!r}:\n{self.log()}")
            return False

        wait_until(seen, f"{text!r} in the log:\n{self.log()}", timeout)

    def workers(self, count=None):
        """The worker pids (the master's children); waits until there are `count` of them."""
        if count is None:
            return child_pids(self.pid)
        return wait_until(lambda: (lambda pids: pids if len(pids) == count else None)(
            child_pids(self.pid)), f"{count} workers of {self.pid}")

    def get(self, path="/", headers=()):
        return request(self.port, path, headers)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=WAIT):
        return self.proc.wait(timeout)

    def stop(self, timeout=WAIT):
        """SIGTERM, wait; the exit code (the process is killed if it hangs, failing the test)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"still running {timeout} s after SIGTERM:\n{self.log()}") \
                    from None
        return self.proc.returncode

    def kill(self):
        """SIGKILL the process and its workers (cleanup after a failed test)."""
        pids = child_pids(self.pid) if self.proc.poll() is None else set()
        for pid in [self.pid, *pids]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(WAIT)

    def problems(self, allowed=()):
        return log_problems(self.log(), allowed)


class ClientLoop:
    """A thread sending GET `path` on fresh connections until stopped; records each outcome."""

    def __init__(self, port, path="/pid"):
        self.port = port
        self.path = path
        self.results = []  # (monotonic start, body or the exception's repr, ok)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        self._thread.join(WAIT)

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                response = request(self.port, self.path)
            except (OSError, AssertionError) as exc:
                self.results.append((started, repr(exc), False))
            else:
                self.results.append((started, response.body.decode(),
                                     response.status == 200))

    def failures(self, since=float("-inf")):
        return [r for r in self.results if r[0] >= since and not r[2]]

    def bodies(self, since=float("-inf")):
        return [r[1] for r in self.results if r[0] >= since and r[2]]

    def wait_for_count(self, n):
        wait_until(lambda: len(self.results) >= n, f"{n} client requests")
