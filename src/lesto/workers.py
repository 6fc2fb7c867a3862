"""The master process: starts the workers, restarts one that dies, stops and replaces them.

The master binds the listening socket once and every worker inherits it: the
kernel's accept queue belongs to the socket, not to a worker, so a worker
that stops or dies loses none of the connections waiting there, and while
the master holds the socket no connection is refused (with one SO_REUSEPORT
socket per worker, the kernel resets the connections queued on a worker's
socket when that worker closes it). The master never serves, never builds an
event loop and, in reload mode under the CLI, never imports the app.

Signals to the master: SIGTERM or SIGINT stops every worker gracefully (a
second one makes them close at once) and the master exits once they all did,
0 if they all exited 0; SIGHUP replaces the workers one at a time, each new
one serving before an old one is told to stop (with HTTPS, the new ones read
the certificate and key files again; when the master cannot load them, it
logs why and keeps the running workers). A stop signal is never lost
to a moment of start-up: until the master's (or a worker's loop's) own
handlers are installed, lesto.stop_signals records it.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from . import server, stop_signals
from .logs import error_log

if TYPE_CHECKING:
    from .app import Application
    from .reload import Watcher
    from .tls import TlsOptions

BACKOFF_FIRST = 0.1  # seconds before restarting a worker that died; doubles on each failure
BACKOFF_MAX = 5.0
BACKOFF_RESET = 10.0  # seconds without a failure, with workers serving, that forgive the past ones
MAX_WAIT = 1.0  # the master looks at its workers at least this often
KILL_MARGIN = 10.0  # after the grace period, a stopping worker has this long for its shutdown hooks

WORKER_ENV = "LESTO_WORKER"  # "listen_fd,ready_fd,alive_fd" in a worker the master spawned
STOP_SIGNALS = stop_signals.STOP_SIGNALS
MASTER_SIGNALS = (*STOP_SIGNALS, signal.SIGHUP, signal.SIGCHLD)


def backoff(failures: int) -> float:
    """Seconds to wait before the next start after `failures` failures in a row."""
    return 0.0 if failures == 0 else min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)


def exit_code(status: int) -> int:
    """A waitpid status as a code: the exit code, or minus the signal that killed the process."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def inherited_worker_fds() -> tuple[int, int, int] | None:
    """(listen_fd, ready_fd, alive_fd) when the master spawned this process as a worker, else None.

    Read once: the variable is removed so that processes this worker starts
    don't take themselves for workers.
    """
    value = os.environ.pop(WORKER_ENV, None)
    if value is None:
        return None
    listen_fd, ready_fd, alive_fd = (int(fd) for fd in value.split(","))
    return listen_fd, ready_fd, alive_fd


def serve_inherited(app: Application, fds: tuple[int, int, int], grace_period: float,
                    tls: TlsOptions | None = None) -> int:
    """Run as the worker a master spawned: serve on the inherited socket; returns the exit code."""
    listen_fd, ready_fd, alive_fd = fds
    prepare_worker_signals()
    sock = socket.socket(fileno=listen_fd)
    return server.serve(app, sock, grace_period=grace_period, ready_fd=ready_fd,
                        alive_fd=alive_fd, tls=tls)


def prepare_worker_signals() -> None:
    # A worker answers SIGTERM and SIGINT (its loop installs that, and takes
    # over what was caught until then); SIGHUP is the master's. It runs in a
    # session of its own, so that a terminal's Ctrl-C reaches the master
    # alone, which stops the workers gracefully.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    stop_signals.catch()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


class WorkerProcess:
    """The master's record of one worker process."""

    def __init__(self, pid: int, generation: int,
                 popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid = pid
        self.generation = generation
        self.popen = popen
        self.started = time.monotonic()
        self.ready_at: float | None = None
        self.stop_deadline: float | None = None  # set when the master told it to stop

    @property
    def stopping(self) -> bool:
        return self.stop_deadline is not None

    def reap(self) -> int | None:
        """The exit code once the process ended, else None."""
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return -1
        if pid == 0:
            return None
        if self.popen is not None:
            self.popen.returncode = exit_code(status)  # reaped here, not by Popen
        return exit_code(status)

    def signal(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass


class Starter(Protocol):
    """How the master starts a worker: Forker or Spawner."""

    @property
    def reloads_code(self) -> bool: ...

    def start(self, sock: socket.socket, ready_w: int, alive_r: int,
              private_fds: list[int]) -> tuple[int, subprocess.Popen[bytes] | None]:
        """Start a worker serving `sock`; (its pid, its Popen if it is a new program)."""
        ...


class Forker:
    """Workers as forks of the master: they share the app the master already imported."""

    reloads_code = False

    def __init__(self, app: Application, grace_period: float,
                 tls: TlsOptions | None = None) -> None:
        self.app = app
        self.grace_period = grace_period
        self.tls = tls

    def start(self, sock: socket.socket, ready_w: int, alive_r: int,
              private_fds: list[int]) -> tuple[int, subprocess.Popen[bytes] | None]:
        sys.stdout.flush()  # else what the master buffered is written by each worker too
        sys.stderr.flush()
        # A signal arriving between fork and the worker's own handlers must not
        # run the master's handler in the worker: block, fork, then unblock.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, MASTER_SIGNALS)
        pid = os.fork()
        if pid:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            return pid, None
        code = 1
        try:
            prepare_worker_signals()
            stop_signals.take()  # the master's record, copied by the fork, is not this worker's
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.setsid()
            for fd in private_fds:
                os.close(fd)
            code = server.serve(self.app, sock, grace_period=self.grace_period,
                                ready_fd=ready_w, alive_fd=alive_r, own_loop=True, tls=self.tls)
        except BaseException:  # noqa: BLE001 (a forked worker never returns into the master's code)
            error_log.exception("worker failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


class Spawner:
    """Workers as new processes running `argv`, which import the app afresh (reload mode)."""

    reloads_code = True

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv

    def start(self, sock: socket.socket, ready_w: int, alive_r: int,
              private_fds: list[int]) -> tuple[int, subprocess.Popen[bytes] | None]:
        fds = (sock.fileno(), ready_w, alive_r)
        env = dict(os.environ)
        env[WORKER_ENV] = ",".join(str(fd) for fd in fds)
        popen = subprocess.Popen(self.argv, env=env, pass_fds=fds, start_new_session=True)
        return popen.pid, popen


class Master:
    """Supervises `count` workers serving `sock`; run() returns the master's exit code."""

    def __init__(self, sock: socket.socket, count: int, starter: Starter, *,
                 grace_period: float = server.DEFAULT_GRACE_PERIOD,
                 watcher: Watcher | None = None, tls: TlsOptions | None = None) -> None:
        self.sock = sock
        self.tls = tls  # checked again before each SIGHUP's replacement
        self.address = sock.getsockname()
        self.count = count
        self.starter = starter
        self.grace_period = grace_period
        self.watcher = watcher  # a reload.Watcher, or None
        self.workers: dict[int, WorkerProcess] = {}  # by pid
        self.generation = 0  # workers of an older one are replaced, one at a time
        self.failures = 0
        self.last_failure = 0.0
        self.next_start = 0.0
        self.blocked = False  # reload mode: new code failed to start; wait for the next change
        self.serving = False  # every worker was ready once: the startup line was logged
        self.stopping = False
        self.final_codes: list[int] = []
        self.replacing = False  # a generation is being rolled out: log when it is done
        self.pending_signals: list[int] = []
        self._ready_buffer = b""

    # ---- the loop ----------------------------------------------------------------

    def run(self) -> int:
        self.wake_r, self.wake_w = os.pipe()
        self.ready_r, self.ready_w = os.pipe()
        self.alive_r, self.alive_w = os.pipe()  # EOF in a worker: the master is gone
        for fd in (self.wake_r, self.wake_w, self.ready_r):
            os.set_blocking(fd, False)
        selector = selectors.DefaultSelector()
        selector.register(self.wake_r, selectors.EVENT_READ)
        selector.register(self.ready_r, selectors.EVENT_READ)
        if self.watcher is not None:
            selector.register(self.watcher.fileno(), selectors.EVENT_READ)
        self.private_fds = [self.wake_r, self.wake_w, self.ready_r, self.alive_w,
                            selector.fileno()]
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in MASTER_SIGNALS}
        signal.set_wakeup_fd(self.wake_w)
        # Caught before the handlers above were installed (while binding, say):
        # a stop now starts no worker.
        self.pending_signals += stop_signals.take()
        try:
            if self.watcher is not None:
                self.watcher.start()
            self._handle_signals()
            self._maintain()
            while not (self.stopping and not self.workers):
                for key, _ in selector.select(self._timeout()):
                    self._readable(key.fd)
                self._handle_signals()
                self._reap()
                self._maintain()
        finally:
            signal.set_wakeup_fd(-1)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.watcher is not None:
                self.watcher.stop()
            selector.close()
            for fd in (self.wake_r, self.wake_w, self.ready_r, self.ready_w, self.alive_r,
                       self.alive_w):
                os.close(fd)
            self.sock.close()
            for worker in self.workers.values():  # only after an exception: leave none behind
                worker.signal(signal.SIGKILL)
        failed = [code for code in self.final_codes if code != 0]
        error_log.info("master stopped (pid %d)", os.getpid())
        return 1 if failed else 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.pending_signals.append(signum)

    def _timeout(self) -> float:
        """Seconds until the next thing to do on time: a kill, a delayed start, a backoff reset."""
        now = time.monotonic()
        deadlines = [w.stop_deadline for w in self.workers.values() if w.stop_deadline is not None]
        if self.failures:
            deadlines += [self.next_start, self.last_failure + BACKOFF_RESET]
        # Signals and readiness arrive through pipes; the bound only keeps
        # a lost wakeup harmless.
        return min([MAX_WAIT] + [d - now for d in deadlines if d > now])

    def _readable(self, fd: int) -> None:
        if fd == self.wake_r:
            self._drain_pipe(fd)
        elif fd == self.ready_r:
            self._ready_buffer += self._drain_pipe(fd)
            *lines, self._ready_buffer = self._ready_buffer.split(b"\n")
            for line in lines:
                self._on_ready(int(line))
        elif self.watcher is not None and fd == self.watcher.fileno():
            changes = self.watcher.changes()
            if changes and not self.stopping:
                error_log.info("changed: %s; replacing the workers", ", ".join(changes))
                self._replace_all()

    @staticmethod
    def _drain_pipe(fd: int) -> bytes:
        data = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                return data
            if not chunk:
                return data
            data += chunk

    # ---- events ----------------------------------------------------------------

    def _handle_signals(self) -> None:
        pending, self.pending_signals = self.pending_signals, []
        for signum in pending:
            if signum in STOP_SIGNALS:
                self._stop_all(signum)
            elif signum == signal.SIGHUP and not self.stopping:
                if self._tls_loads():
                    error_log.info("SIGHUP: replacing the workers one at a time")
                    self._replace_all()

    def _tls_loads(self) -> bool:
        """Whether the certificate and key the new workers would read can be used.

        Each worker reads them as it starts; a broken one (a half-copied
        file, a key that does not match) would only make the new workers
        fail one after the other, so the running workers are kept instead.
        """
        if self.tls is None:
            return True
        from .tls import TlsError

        try:
            self.tls.load()
        except TlsError as exc:
            error_log.error("SIGHUP: the workers keep serving with the certificate they "
                            "loaded; the new one cannot be used: %s", exc)
            return False
        return True

    def _stop_all(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stopping:
            error_log.warning("%s again: workers close every connection now", name)
        elif not self.workers:
            error_log.info("%s during start-up: starting no worker", name)
        else:
            error_log.info("%s: stopping %d worker(s) gracefully (grace period %g s)", name,
                           len(self.workers), self.grace_period)
        self._begin_stop()

    def _begin_stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            # Once the workers closed theirs, the socket is closed: new
            # connections are refused instead of waiting in a queue no one reads.
            self.sock.close()
        for worker in self.workers.values():
            self._stop(worker)

    def _replace_all(self) -> None:
        self.generation += 1
        self.blocked = False
        self.failures = 0
        self.next_start = 0.0

    def _on_ready(self, pid: int) -> None:
        worker = self.workers.get(pid)
        if worker is None:
            return
        worker.ready_at = time.monotonic()
        error_log.info("worker %d ready", pid)
        if not self.serving and len(self._ready()) >= self.count:
            self.serving = True
            error_log.info("Lesto serving on %s://%s:%d (%d worker%s, master pid %d)",
                           "http" if self.tls is None else "https",
                           self.address[0], self.address[1], self.count,
                           "" if self.count == 1 else "s", os.getpid())

    def _reap(self) -> None:
        for worker in list(self.workers.values()):
            code = worker.reap()
            if code is None:
                continue
            del self.workers[worker.pid]
            if worker.stopping:
                # Killed by SIGTERM: a spawned worker told to stop before its
                # program caught the signal (lesto.stop_signals); it served nothing.
                clean = code in (0, -signal.SIGTERM)
                if self.stopping:
                    self.final_codes.append(0 if clean else code)
                log = error_log.info if clean else error_log.warning
                log("worker %d %s", worker.pid, describe(code))
                continue
            self._on_failure(worker, code)

    def _on_failure(self, worker: WorkerProcess, code: int) -> None:
        now = time.monotonic()
        self.failures += 1
        self.last_failure = now
        delay = backoff(self.failures)
        self.next_start = now + delay
        if worker.ready_at is None:
            if self.starter.reloads_code:
                self.blocked = True
                error_log.error("worker %d %s before serving; the running workers go on "
                                "until the next change", worker.pid, describe(code))
                return
            if not self.serving:
                error_log.error("worker %d %s before serving: stopping", worker.pid,
                                describe(code))
                self.final_codes.append(code)
                self._begin_stop()
                return
        error_log.error("worker %d %s; starting another in %.1f s", worker.pid, describe(code),
                        delay)

    # ---- keeping `count` workers of the current generation --------------------

    def _live(self) -> list[WorkerProcess]:
        return [w for w in self.workers.values() if not w.stopping]

    def _ready(self) -> list[WorkerProcess]:
        return [w for w in self._live() if w.ready_at is not None]

    def _maintain(self) -> None:
        now = time.monotonic()
        for worker in self.workers.values():
            if worker.stop_deadline is not None and now >= worker.stop_deadline:
                error_log.error("worker %d still running after the grace period: killing it",
                                worker.pid)
                worker.signal(signal.SIGKILL)
                worker.stop_deadline = float("inf")
        if self.stopping:
            return
        if self.failures and now - self.last_failure >= BACKOFF_RESET and self._ready():
            self.failures = 0
        live = self._live()
        starting = [w for w in live if w.ready_at is None]
        can_start = not self.blocked and now >= self.next_start
        if len(live) < self.count:
            if can_start:
                for _ in range(self.count - len(live)):
                    self._start()
            return
        if starting:
            return  # one replacement at a time: wait until it serves
        outdated = sorted((w for w in live if w.generation < self.generation),
                          key=lambda w: w.started)
        if len(live) > self.count:
            for worker in (outdated or live)[: len(live) - self.count]:
                self._stop(worker)
        elif outdated and can_start:
            self._start()  # the new one serves first; then an outdated one is stopped
        elif not outdated and self.replacing:
            self.replacing = False
            error_log.info("workers replaced")

    def _start(self) -> None:
        pid, popen = self.starter.start(self.sock, self.ready_w, self.alive_r, self.private_fds)
        self.workers[pid] = WorkerProcess(pid, self.generation, popen)
        self.replacing = self.generation > 0
        error_log.info("worker %d started", pid)

    def _stop(self, worker: WorkerProcess) -> None:
        if not worker.stopping:
            worker.stop_deadline = time.monotonic() + self.grace_period + KILL_MARGIN
        worker.signal(signal.SIGTERM)


def run(app: Application | None, host: str, port: int, *, worker_num: int | None = None,
        reload: bool = False, grace_period: float = server.DEFAULT_GRACE_PERIOD,
        reload_dirs: list[str] | None = None, tls: TlsOptions | None = None) -> int:
    """Serve `app` the way asked; returns the exit code. `app` may be None in reload mode.

    In a worker that a master spawned (reload mode), serve on the inherited
    socket and exit. Else bind host:port, then: without worker_num nor
    reload, serve in this process; otherwise run a master over worker_num
    workers (1 by default), forked from this process, or spawned anew in
    reload mode. With `tls`, HTTPS: the files are loaded once here, so that
    a bad certificate or key fails at once (exit code 1, the reason
    logged), and again by each worker as it starts.
    """
    from . import logs

    logs.configure()
    fds = inherited_worker_fds()
    if fds is not None:
        raise SystemExit(serve_inherited(_given(app), fds, grace_period, tls))
    if not _tls_usable(tls):
        return 1
    if reload:
        return _run_reloading(host, port, worker_num or 1, grace_period, reload_dirs, tls)
    app = _given(app)
    sock = _bind(host, port)
    if sock is None:
        return 1
    if worker_num is None:
        return server.serve(app, sock, grace_period=grace_period, tls=tls)
    if app.has_loop:
        error_log.warning("app.loop was made before run(): each worker runs a loop of its "
                          "own, not that one; set up loop-bound resources in on_startup hooks")
    return Master(sock, worker_num or 1, Forker(app, grace_period, tls),
                  grace_period=grace_period, tls=tls).run()


def _tls_usable(tls: TlsOptions | None) -> bool:
    """Whether the TLS options load (or there are none); the reason is logged when not."""
    if tls is None:
        return True
    from .tls import TlsError

    try:
        tls.load()
    except TlsError as exc:
        error_log.error("cannot serve HTTPS: %s", exc)
        return False
    return True


def _run_reloading(host: str, port: int, worker_num: int, grace_period: float,
                   reload_dirs: list[str] | None, tls: TlsOptions | None) -> int:
    """Reload mode's master: workers spawned anew, replaced when a watched file changes."""
    from . import reload as reloading

    argv = reloading.worker_argv()  # fails before binding when there is no program to rerun
    watcher = reloading.Watcher(reload_dirs or reloading.default_dirs())
    sock = _bind(host, port)
    if sock is None:
        return 1
    error_log.info("reload: watching *.py under %s", ", ".join(watcher.dirs))
    return Master(sock, worker_num, Spawner(argv), grace_period=grace_period,
                  watcher=watcher, tls=tls).run()


def _bind(host: str, port: int) -> socket.socket | None:
    """The listening socket, or None once the reason it cannot be had is logged."""
    try:
        return server.bind(host, port)
    except OSError as exc:
        error_log.error("cannot listen on %s:%d: %s", host, port, exc)
        return None


def _given(app: Application | None) -> Application:
    if app is None:
        raise TypeError("workers.run(): app=None is for reload mode only, whose master never "
                        "imports the app; pass the Application")
    return app
