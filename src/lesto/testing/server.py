"""TestServer: the engine serving an app as `Application.run` builds it, on memory connections.

No listener, no worker process: `make_engine` makes the same engine a
worker makes, the startup and shutdown hooks (an ASGI app's lifespan) run
as a worker runs them, and each client connection is a memory connection
of the engine (src/core/net/memory.cpp): the real parser, router, limits
and writer see the bytes a socket would bring.

Every call into the engine that may run application code is made from an
event loop callback, never from inside a task, as the socket side makes
them from the loop's reader callback: a handler stepped by the engine
takes asyncio's current task for its own while it runs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .. import _native
from .._coro import Scheduler
from ..app import Application
from ..asgi import as_application
from ..logs import error_log
from ..server import make_engine, run_hook

# The address the app is served at (an ASGI scope's `server`), as Starlette's client names it.
SERVER_ADDRESS = ("testserver", 80)
# The client's address: request.remote_addr, an ASGI scope's `client`.
CLIENT_ADDRESS = ("127.0.0.1", 50000)

T = TypeVar("T")


class ServerExceptions(logging.Handler):
    """Collects the exceptions the app raised while this server's loop ran.

    Every path by which the engine turns an app's exception into an answer
    (a 500, a stream cut short, a WebSocket closed with 1011) logs it to
    `lesto.error` with the exception: hearing that log is how a test learns
    of it, with no change to what a server does. A record counts when it is
    made while this server's loop runs in this thread, so that two servers
    in one process do not take each other's.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.ERROR)
        self.loop = loop
        self.caught: list[BaseException] = []
        self.on_catch: Callable[[], None] = lambda: None

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or isinstance(exc, asyncio.CancelledError):
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return
        if running is self.loop:
            self.caught.append(exc)
            self.on_catch()

    def raise_first(self) -> None:
        """Raise the first exception caught (once), if any."""
        if self.caught:
            exc = self.caught.pop(0)
            self.caught.clear()
            raise exc


class Waiters:
    """Who waits for news of which memory connection; the engine calls `news(id)`.

    A waiter is a callable run once, at the next news, from inside the
    engine: it only takes note (sets a future's result, schedules a
    callback). Holds no reference to the engine, which holds this object's
    method: the engine's type is not tracked by the garbage collector.
    """

    def __init__(self) -> None:
        self.waiting: dict[int, Callable[[], object]] = {}

    def news(self, connection_id: int) -> None:
        waiter = self.waiting.pop(connection_id, None)
        if waiter is not None:
            waiter()

    def wake_all(self) -> None:
        waiting, self.waiting = self.waiting, {}
        for waiter in waiting.values():
            waiter()


def settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class TestServer:
    """`app` served by the engine on `loop`, its clients connected in memory."""

    __test__ = False  # not a pytest test class, whatever its name

    @staticmethod
    def application(app: object, *, lifespan: str = "auto", root_path: str = "") -> Application:
        """The Application that serves `app`, a Lesto Application or an ASGI app, as `lesto` makes it."""
        return as_application(app, lifespan=lifespan, root_path=root_path)

    def __init__(self, app: Application, loop: asyncio.AbstractEventLoop, *,
                 raise_server_exceptions: bool = True,
                 client: tuple[str, int] = CLIENT_ADDRESS) -> None:
        self.app = app
        self.loop = app.loop = loop  # as serve() does: app.loop is the loop serving it
        self.client = client
        self.raise_server_exceptions = raise_server_exceptions
        self.waiters = Waiters()
        self.exceptions = ServerExceptions(loop)
        self.exceptions.on_catch = self.waiters.wake_all
        # How the engine runs coroutines; its driven stand-ins are cancelled at the end.
        self.scheduler = Scheduler(loop)
        self._engine: _native.Server | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._started = False
        self.closed = False

    @property
    def engine(self) -> _native.Server:
        """The engine, made at first use (after the startup hooks when they run first)."""
        if self._engine is None:
            if self.closed:
                raise RuntimeError("the test server is closed")
            self._engine = engine = make_engine(self.app, self.loop, SERVER_ADDRESS,
                                                self.scheduler)
            engine.memory_events(self.waiters.news)
            error_log.addHandler(self.exceptions)
            self._tick_handle = self.loop.call_later(self.app.tick_interval, self._tick)
        return self._engine

    def _tick(self) -> None:
        # The Date header and the timeouts, as a worker's tick.
        if self._engine is not None:
            self._engine.tick()
            self._tick_handle = self.loop.call_later(self.app.tick_interval, self._tick)

    # ---- the app's life ------------------------------------------------------

    async def startup(self) -> None:
        """Run the startup hooks (an ASGI app's lifespan startup), as a worker does before serving."""
        for hook in self.app.startup_hooks:
            await run_hook(hook, self.app)
        self._started = True
        self.engine  # noqa: B018 (made now, as a worker makes it once started)

    async def shutdown(self) -> None:
        """Close the connections left, then run every shutdown hook; the first failure is raised."""
        self.close_engine()
        await asyncio.sleep(0)  # let the cancelled handlers unwind before the hooks run
        if not self._started:
            return
        self._started = False
        failure: BaseException | None = None
        for hook in self.app.shutdown_hooks:
            try:
                await run_hook(hook, self.app)
            except Exception as exc:  # noqa: BLE001 (the other hooks still run, as in a worker)
                failure = failure or exc
        if failure is not None:
            raise failure

    def close_engine(self) -> None:
        """Close every connection (handlers still running are cancelled) and the engine."""
        self.closed = True
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.memory_events(None)
            engine.close()
            error_log.removeHandler(self.exceptions)
        self.waiters.wake_all()

    def check(self) -> None:
        """Raise what the app raised, when the server raises its exceptions."""
        if self.raise_server_exceptions:
            self.exceptions.raise_first()
        else:
            self.exceptions.caught.clear()

    def open(self) -> MemoryConnection:
        return MemoryConnection(self)


class MemoryConnection:
    """One client connection in memory: bytes to the engine, bytes back, its close.

    Sends are made from a loop callback (see the module's docstring); a
    coroutine waits for the engine's news of this connection.
    """

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.engine = server.engine
        self.loop = server.loop
        self.id = self.engine.memory_open(*server.client)
        self.closed = False

    def _call_soon(self, call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`call(*args)` from a loop callback; the future has its result."""
        future: asyncio.Future[T] = self.loop.create_future()

        def run() -> None:
            try:
                result = call(*args)
            except BaseException as exc:  # noqa: BLE001 (handed to whoever awaits it)
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)

        self.loop.call_soon(run)
        return future

    def send(self, data: bytes) -> asyncio.Future[int]:
        """Send `data`; the future has the bytes the engine has not read yet, once it was served."""
        return self._call_soon(self.engine.memory_send, self.id, data)

    def send_eof(self) -> asyncio.Future[None]:
        """The client sends nothing more (a socket's shutdown(SHUT_WR))."""
        return self._call_soon(self.engine.memory_send_eof, self.id)

    def state(self) -> tuple[int, bool, bool, bool]:
        """(input waiting, idle, output ended, closed): see _native.Server.memory_state."""
        return self.engine.memory_state(self.id)

    def take(self) -> bytes:
        """What the engine wrote since the last take (it may go on writing into the room made)."""
        return self.engine.memory_receive(self.id)

    def news_future(self) -> asyncio.Future[None]:
        """Done when the engine served this connection again (or the app raised)."""
        future: asyncio.Future[None] = self.loop.create_future()
        self.server.waiters.waiting[self.id] = functools.partial(settle, future)
        return future

    async def news(self) -> None:
        await self.news_future()

    def on_news(self, callback: Callable[[], object]) -> None:
        """Have `callback()` called from the loop at the engine's next news of this connection."""
        self.server.waiters.waiting[self.id] = functools.partial(self.loop.call_soon, callback)

    async def receive(self) -> bytes:
        """The next bytes the engine writes; b"" once it writes nothing more."""
        while True:
            data = self.take()
            if data:
                return data
            if self.state()[2] or self.server.closed:
                return b""
            await self.news()
            self.server.check()

    def close_if_idle(self) -> bool:
        """Close now when nothing is under way for this connection; whether it is closed.

        Closing abandons nothing then, so no app code runs: it needs no turn of the loop.
        """
        if not self.closed and not self.server.closed and not self.state()[1]:
            return False
        if not self.closed:
            self.closed = True
            self.server.waiters.waiting.pop(self.id, None)
            if not self.server.closed:
                self.engine.memory_close(self.id)
        return True

    async def close(self) -> None:
        """The client leaves: what the engine was still doing for it is abandoned."""
        if self.close_if_idle():
            return
        self.closed = True
        self.server.waiters.waiting.pop(self.id, None)
        await self._call_soon(self.engine.memory_close, self.id)
        # What was abandoned (a handler, a stream's producer) is cancelled:
        # let it unwind now, as it would while a server goes on.
        await asyncio.sleep(0)
