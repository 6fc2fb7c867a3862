"""httpx transports that send requests to an app through the engine, in memory.

`Transport` (sync) runs the app on an event loop of its own, which runs
only while a call waits for the engine: between calls, nothing of the app
runs. `AsyncTransport` serves on the loop it is used from. Either runs the
app's startup and shutdown hooks when entered and left (httpx's clients
enter their transport), so `with httpx.Client(transport=...)` is the app's
whole life.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ..server import _cancel_remaining_tasks as cancel_remaining_tasks
from ..server import new_event_loop
from .http import AsyncBody, Exchange, Pending, Raw, exchange, raw, response
from .server import CLIENT_ADDRESS, TestServer

T = TypeVar("T")


class Transport(httpx.BaseTransport):
    """A sync httpx transport to `app` (a Lesto Application or an ASGI app).

    `raise_server_exceptions`: an exception the app raises is raised in the
    caller (else the caller gets the 500, or the cut response, the wire
    would show). `client`: the (address, port) the app sees the requests
    come from. `lifespan`, `root_path`: for an ASGI app, as the `lesto`
    command's options.
    """

    def __init__(self, app: object, *, raise_server_exceptions: bool = True,
                 client: tuple[str, int] = CLIENT_ADDRESS, lifespan: str = "auto",
                 root_path: str = "") -> None:
        application = TestServer.application(app, lifespan=lifespan, root_path=root_path)
        # The app's loop when it has one, as Application.run serves
        # in-process on it (what a setup did with app.loop.run_until_complete
        # is there); else a loop of its own, closed with the transport.
        self._owns_loop = not application.has_loop or application.loop.is_running()
        loop = client_event_loop() if self._owns_loop else application.loop
        self.server = TestServer(application, loop, raise_server_exceptions=raise_server_exceptions,
                                 client=client)
        self._entered = False

    def check_usable(self) -> None:
        """RuntimeError when this client cannot run its loop now."""
        loop = self.server.loop
        if loop.is_closed():
            raise RuntimeError("the test client is closed")
        if loop.is_running():
            raise RuntimeError("a sync test client cannot be used while its event loop runs (from "
                               "inside a handler, or an async test on that loop): use "
                               "lesto.testing.AsyncTestClient there")

    def run(self, work: Coroutine[Any, Any, T] | asyncio.Future[T]) -> T:
        """Run the loop until `work` is done: the app runs meanwhile."""
        try:
            self.check_usable()
        except RuntimeError:
            if asyncio.iscoroutine(work):
                work.close()
            raise
        return self.server.loop.run_until_complete(work)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        ex, head = self.run(exchange(self.server, request))
        return response(head, SyncBody(self, ex))

    def raw(self, data: bytes | Iterable[bytes], *, eof: bool = False,
            timeout: float | None = 5.0) -> bytes:
        """The exact bytes the engine writes for `data` (see lesto.testing.http.raw)."""
        self.check_usable()
        return self.run(Raw(self.server, data, eof=eof, timeout=timeout).future)

    def __enter__(self) -> Transport:
        if not self._entered:
            self._entered = True
            self.run(self.server.startup())
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None,
                 exc_value: BaseException | None = None,
                 traceback: TracebackType | None = None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections left and run the shutdown hooks; close the loop if it is ours."""
        loop = self.server.loop
        if loop.is_closed():
            return
        try:
            if not self.server.closed:
                self.run(self.server.shutdown())
        finally:
            if self._owns_loop:
                cancel_remaining_tasks(loop, self.server.scheduler)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()


def client_event_loop() -> asyncio.AbstractEventLoop:
    """The sync client's own loop: the stdlib's, unless LESTO_LOOP names one.

    The client runs its loop once per call, and uvloop sets its signal
    handling up and down at every run (a socket pair, the wake-up fd): a
    request costs about twice as much on it (bench/testclient.py), and
    without sockets to serve, uvloop has nothing to win back. The engine
    behaves the same on both (the test suite runs on both).
    """
    if "LESTO_LOOP" in os.environ:
        return new_event_loop()
    return asyncio.new_event_loop()


class SyncBody(httpx.SyncByteStream):
    """A response body read from the engine as it is iterated, the loop running meanwhile."""

    def __init__(self, transport: Transport, ex: Exchange) -> None:
        self.transport = transport
        self.exchange = ex

    def __iter__(self) -> Iterator[bytes]:
        while True:
            piece = self.exchange.available_piece()
            if isinstance(piece, Pending):  # the loop runs only when the engine must write more
                piece = self.transport.run(self.exchange.next_piece())
            if piece is None:
                return
            yield piece

    def close(self) -> None:
        if not self.exchange.conn.closed and not self.transport.server.loop.is_closed():
            self.transport.run(self.exchange.close())


class AsyncTransport(httpx.AsyncBaseTransport):
    """An async httpx transport to `app`, served on the running loop (arguments as Transport's)."""

    def __init__(self, app: object, *, raise_server_exceptions: bool = True,
                 client: tuple[str, int] = CLIENT_ADDRESS, lifespan: str = "auto",
                 root_path: str = "") -> None:
        self.app = TestServer.application(app, lifespan=lifespan, root_path=root_path)
        self.options: dict[str, Any] = {"raise_server_exceptions": raise_server_exceptions,
                                        "client": client}
        self._server: TestServer | None = None

    @property
    def server(self) -> TestServer:
        """The server on the running loop, made at first use."""
        loop = asyncio.get_running_loop()
        server = self._server
        if server is None:
            server = self._server = TestServer(self.app, loop, **self.options)
        elif server.loop is not loop:
            raise RuntimeError("this async test client serves on the loop it was first used from; "
                               "make one per event loop")
        return server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        ex, head = await exchange(self.server, request)
        return response(head, AsyncBody(ex))

    async def raw(self, data: bytes | Iterable[bytes], *, eof: bool = False,
                  timeout: float | None = 5.0) -> bytes:
        """The exact bytes the engine writes for `data` (see lesto.testing.http.raw)."""
        return await raw(self.server, data, eof=eof, timeout=timeout)

    async def __aenter__(self) -> AsyncTransport:
        await self.server.startup()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None = None,
                        exc_value: BaseException | None = None,
                        traceback: TracebackType | None = None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections left and run the shutdown hooks (the loop is not ours to close)."""
        if self._server is not None and not self._server.closed:
            await self._server.shutdown()

