"""serve(): one worker: the engine on a listening socket, its event loop, hooks, graceful stop."""

from __future__ import annotations

import asyncio
import gc
import inspect
import mimetypes
import os
import signal
import socket
from typing import TYPE_CHECKING, Any

from . import _native, proxy, stop_signals
from . import tls as tls_options
from ._coro import Scheduler
from .headers import Headers
from .logs import (
    error_log,
    log_access,
    log_callback_failure,
    log_response_failed,
    log_response_refused,
    log_static_refused,
    log_tls_event,
)
from .streams import pump
from .websocket import run_websocket

if TYPE_CHECKING:
    from .app import Application, Hook

DEFAULT_GRACE_PERIOD = 30.0
DRAIN_CHECK_INTERVAL = 0.05  # how often a draining worker looks at its connection count
SETTLE_TIME = 1.0  # on stop, seconds between closing the listener and draining (see Worker.stop)
REFUSAL_TIME = 1.0  # after the grace period, seconds the 503s get to reach their clients

EXIT_OK = 0
EXIT_FAILED = 1  # stopped, but a shutdown hook failed
EXIT_BOOT_FAILED = 3  # never served: a startup hook failed


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (the default dependency), else the stdlib loop.

    LESTO_LOOP=asyncio forces the stdlib loop (the test suite runs on both).
    """
    choice = os.environ.get("LESTO_LOOP", "uvloop")
    if choice not in ("uvloop", "asyncio"):
        raise ValueError(f"LESTO_LOOP must be 'uvloop' or 'asyncio', not {choice!r}")
    if choice == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def bind(host: str, port: int, *, backlog: int = 1024) -> socket.socket:
    """A listening, non-blocking TCP socket on host:port (IPv6 when the host has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def access_log_enabled(app: Application) -> bool:
    """`app.access_log` when set; else on with `app.debug`, as before it existed."""
    enabled = getattr(app, "access_log", None)
    return app.debug if enabled is None else enabled


def make_engine(app: Application, loop: asyncio.AbstractEventLoop,
                server: tuple[str, int] | None = None,
                scheduler: Scheduler | None = None) -> _native.Server:
    """The engine that serves `app` on `loop`: a `_native.Server`, with no listener yet.

    `server`: the listening address, for an ASGI app's scope; `scheduler`:
    how it runs coroutines on `loop` (a new one by default).
    """
    asgi = getattr(app, "asgi", None)
    return _native.Server(_native.ServerConfig(
        routes=app.router.engine_routes(),
        request_class=proxy.request_class(app.request_class, app.trusted_proxies),
        headers_factory=Headers,
        error_response=app.error_response,
        not_found_response=app.not_found_response,
        scheduler=scheduler or Scheduler(loop),
        limits=app.limits,
        timeouts=app.timeouts,
        # None costs the request path nothing: the engine skips the call.
        access_log=log_access if access_log_enabled(app) else None,
        callback_failed=log_callback_failure,
        response_refused=log_response_refused,
        run_stream=pump,
        run_websocket=run_websocket(loop),
        websocket_compression=getattr(app, "websocket_compression", True),
        response_failed=log_response_failed,
        content_types=content_types(),
        static_dirs=app.router.engine_static_dirs(),
        static_refused=log_static_refused,
        tls_event=log_tls_event,
        asgi=app.served_app() if asgi is not None else None,  # type: ignore[attr-defined]
        asgi_scope=app.scope_template(server) if asgi is not None else None,  # type: ignore[attr-defined]
        asgi_websocket_scope=(app.websocket_scope_template(server)  # type: ignore[attr-defined]
                              if asgi is not None else None),
    ))


def content_types() -> list[tuple[str, str]]:
    """The engine's table of file types: Python's mimetypes, which reads the system's mime.types."""
    mimetypes.init()
    return [(ext, type_) for ext, type_ in mimetypes.types_map.items()
            if ";" not in type_ and "/" in type_]


async def run_hook(hook: Hook, app: Application) -> None:
    """Call a startup or shutdown hook with the app; await what it returns if awaitable."""
    result = hook(app)
    if inspect.isawaitable(result):
        await result


def serve(app: Application, sock: socket.socket, *, grace_period: float = DEFAULT_GRACE_PERIOD,
          ready_fd: int | None = None, alive_fd: int | None = None, own_loop: bool = False,
          tls: tls_options.TlsOptions | None = None) -> int:
    """Serve `app` on the listening socket `sock` until SIGTERM or SIGINT; return the exit code.

    With `tls`, the socket serves HTTPS: the certificate and key are read
    here, as the worker starts (a failure is logged and ends the worker
    before it serves, EXIT_BOOT_FAILED).

    Runs in `app.loop` (the one made before run(), else a new one), or with
    `own_loop` in a new one (a forked worker: a loop made before the fork
    is the master's). Startup hooks, then serving; on the first signal a
    graceful stop (see Worker.stop), on a second one the stop stops
    waiting. Under a master, `ready_fd` receives this process's pid once it
    serves, and `alive_fd` reads end of file when the master is gone, which
    stops the worker too.
    """
    loop = app.loop = new_event_loop() if own_loop else app.loop
    asyncio.set_event_loop(loop)
    scheduler = Scheduler(loop)
    try:
        worker = Worker(app, loop, grace_period, scheduler, tls)
        return loop.run_until_complete(worker.run(sock, ready_fd, alive_fd))
    finally:
        _cancel_remaining_tasks(loop, scheduler)
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()  # the loop's signal handlers go with it
        stop_signals.catch()  # so that a late signal cannot kill the process on its way out


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop, scheduler: Scheduler) -> None:
    """What asyncio.run does after its main coroutine: cancel the tasks left, let them finish.

    The coroutines the engine's stand-ins drive (EagerStep.drive) are tasks too.
    """
    tasks: list[asyncio.Future[Any]] = [task for task in asyncio.all_tasks(loop)
                                        if not task.done()]
    for task in tasks:
        task.cancel()
    tasks += scheduler.cancel_driven()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class Worker:
    """One worker's life in its event loop: boot, serve, drain, close, shut down."""

    def __init__(self, app: Application, loop: asyncio.AbstractEventLoop,
                 grace_period: float, scheduler: Scheduler,
                 tls: tls_options.TlsOptions | None = None) -> None:
        self.app = app
        self.loop = loop
        self.scheduler = scheduler
        self.grace_period = grace_period
        self.tls = tls
        self.signals = 0
        self.stop_requested = asyncio.Event()
        self.engine: _native.Server | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        # The task running the startup hooks, while it runs.
        self._startup: asyncio.Task[None] | None = None

    def _on_signal(self, signum: int) -> None:
        self.signals += 1
        name = signal.Signals(signum).name
        if self._startup is not None:
            self._stop_starting(name)
        elif self.engine is None:
            error_log.info("%s during start-up: not serving", name)
        elif self.signals == 1:
            error_log.info("%s: stopping gracefully (grace period %g s)", name,
                           self.grace_period)
        else:
            error_log.warning("%s again: closing every connection now", name)
        self.stop_requested.set()

    def _stop_starting(self, name: str) -> None:
        """A stop signal during the startup hooks: they get the grace period, a second signal none."""
        if self.signals == 1:
            error_log.info("%s during start-up: stopping once the startup hooks are done "
                           "(grace period %g s)", name, self.grace_period)
            self.loop.call_later(self.grace_period, self._cancel_startup, "grace period over")
        else:
            self._cancel_startup(f"{name} again")

    def _cancel_startup(self, why: str) -> None:
        if self._startup is not None and self._startup.cancel():
            error_log.warning("%s: cancelling the startup hooks", why)

    def _on_master_gone(self, alive_fd: int) -> None:
        self.loop.remove_reader(alive_fd)
        os.close(alive_fd)
        error_log.warning("the master process is gone: stopping")
        self.signals += 1
        self.stop_requested.set()

    def _tick(self, engine: _native.Server) -> None:
        engine.tick()
        self._tick_handle = self.loop.call_later(self.app.tick_interval, self._tick, engine)

    async def _run_startup_hooks(self) -> None:
        for hook in self.app.startup_hooks:
            await run_hook(hook, self.app)

    async def run(self, sock: socket.socket, ready_fd: int | None, alive_fd: int | None) -> int:
        loop = self.loop
        for sig in stop_signals.STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)
        # The loop's handlers first, then what was caught before them: a
        # signal is seen by one or the other, never lost between the two.
        for signum in stop_signals.take():
            self._on_signal(signum)
        if alive_fd is not None:
            loop.add_reader(alive_fd, self._on_master_gone, alive_fd)
        if self.stop_requested.is_set():
            sock.close()
            error_log.info("stopped before the startup hooks (pid %d)", os.getpid())
            return EXIT_OK
        try:
            # Before the startup hooks: a worker that cannot serve HTTPS runs none.
            context = self.tls.load() if self.tls is not None else None
        except tls_options.TlsError as exc:
            sock.close()
            error_log.error("cannot serve HTTPS: %s; not serving", exc)
            return EXIT_BOOT_FAILED
        code = await self._start_up()
        if code is not None:
            sock.close()
            return code
        if self.stop_requested.is_set():
            sock.close()
            error_log.info("startup hooks done: stopping without serving")
            return await self.shut_down()
        address = sock.getsockname()
        self.engine = engine = make_engine(self.app, loop, (address[0], address[1]),
                                           self.scheduler)
        engine.add_listener(os.dup(sock.fileno()), tls=context)
        sock.close()  # the engine's descriptor is the worker's only one
        loop.add_reader(engine.fileno(), engine.poll)
        self._tick_handle = loop.call_later(self.app.tick_interval, self._tick, engine)
        # What exists now (modules, the app, its routes) lives as long as the
        # worker: keep it out of every future garbage collection's traversal.
        gc.collect()
        gc.freeze()
        if ready_fd is None:
            error_log.info("Lesto serving on %s://%s:%d (1 worker, pid %d)",
                           tls_options.scheme(self.tls), address[0], address[1], os.getpid())
        else:
            os.write(ready_fd, b"%d\n" % os.getpid())
            os.close(ready_fd)
        await self.stop_requested.wait()
        await self.stop(engine)
        return await self.shut_down()

    async def _start_up(self) -> int | None:
        """Run the startup hooks; None when they all ran, else the exit code (they did not).

        In a task of their own, so that a stop can cancel them: a start-up
        cut short is not an app that started, and gets no shutdown hooks,
        as when a startup hook raises.
        """
        self._startup = self.loop.create_task(self._run_startup_hooks())
        try:
            await self._startup
        except asyncio.CancelledError:
            if not self._startup.cancelled():
                raise  # this worker's own task was cancelled, not the hooks
            error_log.info("stopped during the startup hooks (pid %d)", os.getpid())
            return EXIT_OK
        except Exception:  # noqa: BLE001 (logged; the worker never serves)
            error_log.exception("startup hook failed: not serving")
            return EXIT_BOOT_FAILED
        finally:
            self._startup = None
        return None

    async def stop(self, engine: _native.Server) -> None:
        """Stop accepting, let received requests finish (within the grace period), close the rest.

        First the listener closes, while connections are served as usual for
        a moment (SETTLE_TIME): a connection accepted just before may not
        have delivered its first request yet, and drain() would take it for
        an idle one. Then engine.drain() closes the idle connections; one
        with requests in progress gets its answers, the last one with
        Connection: close, and then closes. When the grace period ends (or
        a second signal comes) first, each connection's first unanswered
        request is answered 503 in its place, its handler cancelled, and
        the 503s get a moment (REFUSAL_TIME) to reach their clients.
        """
        loop = self.loop
        deadline = loop.time() + self.grace_period
        engine.close_listeners()
        await self._wait_for_connections(engine, min(deadline, loop.time() + SETTLE_TIME))
        engine.drain()
        drained = await self._wait_for_connections(engine, deadline)
        if engine.connection_count:
            refused = engine.refuse_unanswered()
            if not drained:
                error_log.warning("grace period over: %d request(s) answered 503, "
                                  "closing %d connection(s)", refused, engine.connection_count)
            await self._wait_for_connections(engine, loop.time() + REFUSAL_TIME)
        loop.remove_reader(engine.fileno())
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        engine.close()  # what remains is closed, handlers still awaiting are cancelled
        await asyncio.sleep(0)  # let the cancelled handlers unwind before the hooks run

    async def _wait_for_connections(self, engine: _native.Server, until: float) -> bool:
        """Until no connection is left or a second signal (True), or loop time `until` (False)."""
        while engine.connection_count and self.signals < 2:
            remaining = until - self.loop.time()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(DRAIN_CHECK_INTERVAL, remaining))
        return True

    async def shut_down(self) -> int:
        code = EXIT_OK
        for hook in self.app.shutdown_hooks:
            try:
                await run_hook(hook, self.app)
            except Exception:  # noqa: BLE001 (logged; the other hooks still run)
                error_log.exception("shutdown hook %r failed", hook)
                code = EXIT_FAILED
        error_log.info("stopped (pid %d)", os.getpid())
        return code
