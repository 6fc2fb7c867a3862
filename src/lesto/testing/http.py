"""HTTP/1.1 over a memory connection: a request out and its response back with h11, and raw bytes.

The client side of the conversation is h11's (a sans-I/O protocol
library): nothing here parses or frames HTTP by hand, so the engine is
judged by a client that is not itself.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterable, AsyncIterator, Iterable

import h11
import httpx

from .server import MemoryConnection, TestServer

# Request bytes the engine may leave unread before the client waits, as a
# socket buffer lets a client get ahead of the server and no further.
SEND_AHEAD = 64 * 1024


class Pending:
    """What `Exchange.available_piece` gives when the next piece needs a wait for the engine."""


PENDING = Pending()


class Exchange:
    """One request and its response, on a connection of its own (closed at the end)."""

    def __init__(self, server: TestServer, request: httpx.Request) -> None:
        self.server = server
        self.request = request
        # httpx's timeouts (the client's, or the request's): how long a wait for the engine may be.
        timeouts = request.extensions.get("timeout", {})
        self.write_timeout: float | None = timeouts.get("write")
        self.read_timeout: float | None = timeouts.get("read")
        self.conn: MemoryConnection = server.open()
        self.h11 = h11.Connection(h11.CLIENT)
        self.events: collections.deque[h11.Event] = collections.deque()
        self.eof_given = False

    # ---- the request -----------------------------------------------------------

    async def send_request(self) -> None:
        """Send the head, then the body piece by piece while the engine reads it.

        A server that answers before the body is all sent (a 413, a handler
        that does not read it) is not sent the rest, as a real client stops
        when it sees the response.
        """
        request = self.request
        head = h11.Request(method=request.method, target=request.url.raw_path,
                           headers=request.headers.raw)
        if not await self._send(self._h11_send(head)):
            return
        stream = request.stream
        if isinstance(stream, AsyncIterable):
            async for piece in stream:
                if piece and not await self._send(self._h11_send(h11.Data(data=piece))):
                    return
        else:
            assert isinstance(stream, Iterable)
            for piece in stream:
                if piece and not await self._send(self._h11_send(h11.Data(data=piece))):
                    return
        await self._send(self._h11_send(h11.EndOfMessage()))

    def _h11_send(self, event: h11.Event) -> bytes:
        try:
            return self.h11.send(event) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc

    async def _send(self, data: bytes) -> bool:
        """Send `data`, waiting while the engine leaves too much unread; False once answered."""
        waiting = await self.conn.send(data)
        while True:
            self._pump()
            if any(isinstance(e, (h11.Response, h11.ConnectionClosed)) for e in self.events):
                return False
            if waiting <= SEND_AHEAD:
                return True
            await self._wait(self.write_timeout, httpx.WriteTimeout)
            waiting = self.conn.state()[0]

    # ---- bytes from the engine -------------------------------------------------

    def _pump(self) -> bool:
        """Give h11 what the engine wrote so far (its end included); queue the events. Never waits.

        Returns whether an event was queued.
        """
        data = self.conn.take()
        if data and self.h11.their_state is not h11.CLOSED:
            self._receive(data)
        if not self.eof_given and self.conn.state()[2]:
            self.eof_given = True
            self._receive(b"")
        queued = False
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                self.server.check()  # the app's failure first: it is why the response broke
                raise httpx.RemoteProtocolError(f"the response is not valid HTTP/1.1: {exc}") from exc
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return queued
            assert isinstance(event, h11.Event)
            self.events.append(event)
            queued = True
            if isinstance(event, h11.ConnectionClosed):
                return queued  # h11 says it again at each call

    def _receive(self, data: bytes) -> None:
        try:
            self.h11.receive_data(data)
        except RuntimeError:
            pass  # h11 has had the end of the bytes already

    async def _wait(self, timeout: float | None = None,
                    late: type[httpx.TimeoutException] = httpx.ReadTimeout) -> None:
        """Until the engine served this connection again; the app's exception then, if any.

        `late` is raised when the engine has not served it within `timeout`
        (None: the read timeout) seconds: a handler that hangs fails the test.
        """
        if timeout is None:
            timeout = self.read_timeout
        try:
            await asyncio.wait_for(self.conn.news_future(), timeout)
        except asyncio.TimeoutError:
            raise late(f"the app did not answer within {timeout} s (httpx's timeout)",
                       request=self.request) from None
        self.server.check()

    async def next_event(self) -> h11.Event:
        while not self.events and not self._pump():
            await self._wait()
        return self.events.popleft()

    # ---- the response ----------------------------------------------------------

    async def receive_head(self) -> h11.Response:
        """The final response's head (an interim 100 Continue is skipped); the body follows."""
        while True:
            event = await self.next_event()
            if isinstance(event, h11.Response):
                self.server.check()
                return event
            if not isinstance(event, h11.InformationalResponse):
                self.server.check()
                raise httpx.RemoteProtocolError("the server closed the connection without "
                                                "a response")

    def available_piece(self) -> bytes | None | Pending:
        """The body's next piece if it is there without waiting; None at its end, else PENDING."""
        while True:
            if not self.events and not self._pump():
                return PENDING
            event = self.events.popleft()
            if isinstance(event, h11.Data):
                if event.data:
                    return bytes(event.data)
                continue
            if isinstance(event, h11.EndOfMessage):
                self.server.check()
                return None
            self.server.check()
            raise httpx.RemoteProtocolError("the connection closed before the response's end")

    async def next_piece(self) -> bytes | None:
        """The body's next piece, waiting for the engine as needed; None at its end."""
        while isinstance(piece := self.available_piece(), Pending):
            await self._wait()
        return piece

    def body_in_hand(self) -> bool:
        """Whether the whole response has come: nothing more is needed from the engine."""
        self._pump()
        return any(isinstance(e, h11.EndOfMessage) for e in self.events)

    async def close(self) -> None:
        await self.conn.close()


class AsyncBody(httpx.AsyncByteStream):
    """A response body read from the engine as it is iterated."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (piece := await self.exchange.next_piece()) is not None:
            yield piece

    async def aclose(self) -> None:
        await self.exchange.close()


async def exchange(server: TestServer, request: httpx.Request) -> tuple[Exchange, h11.Response]:
    """Send `request`; the head of its response (the body is read as it is iterated)."""
    ex = Exchange(server, request)
    try:
        await ex.send_request()
        head = await ex.receive_head()
        if ex.body_in_hand():  # the usual small response: the connection's work is done
            await ex.close()
    except BaseException:
        await ex.close()
        raise
    return ex, head


def response(head: h11.Response, body: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    """The httpx Response for `head`, its body read from `body` as it is iterated."""
    return httpx.Response(
        head.status_code,
        headers=head.headers.raw_items(),
        stream=body,
        extensions={"http_version": b"HTTP/" + head.http_version, "reason_phrase": head.reason},
    )


class Raw:
    """Exact bytes on a new connection, and what the engine writes back until it is idle or closed.

    Driven by loop callbacks, not a coroutine: the engine is called from
    them directly (no task is current there), and a sync client's call is
    one run of the loop on `future`, with no task of its own.
    """

    def __init__(self, server: TestServer, data: bytes | Iterable[bytes], *, eof: bool,
                 timeout: float | None) -> None:
        self.server = server
        self.loop = loop = server.loop
        self.pieces = iter([data] if isinstance(data, (bytes, bytearray, memoryview)) else data)
        self.piece = next(self.pieces, b"")
        self.eof = eof
        self.timeout = timeout
        self.out = bytearray()
        self.future: asyncio.Future[bytes] = loop.create_future()
        self.conn = server.open()
        self.timer: asyncio.TimerHandle | None = None  # set once it has to wait
        loop.call_soon(self._send)

    def _send(self) -> None:
        """Send the next piece; let the loop (the engine, the app) have a turn before the next."""
        if self.future.done():
            return
        try:
            if self.piece:
                self.conn.engine.memory_send(self.conn.id, bytes(self.piece))
            self.piece = next(self.pieces, b"")
            if self.piece:
                self.loop.call_soon(self._send)
                return
            if self.eof:
                self.conn.engine.memory_send_eof(self.conn.id)
            self._look()
        except BaseException as exc:  # noqa: BLE001 (the caller's, through the future)
            self._end(exc)

    def _look(self) -> None:
        if self.future.done():
            return
        try:
            self.server.check()
            self.out += self.conn.take()
            _, idle, ended, _ = self.conn.state()
            if idle or ended:
                self._end(None)
                return
            self.conn.on_news(self._look)
            if self.timer is None and self.timeout is not None:
                self.timer = self.loop.call_later(self.timeout, self._timed_out)
        except BaseException as exc:  # noqa: BLE001 (the caller's, through the future)
            self._end(exc)

    def _timed_out(self) -> None:
        self._end(TimeoutError(f"the engine was neither idle nor closed after {self.timeout} s; "
                               f"it had written {bytes(self.out)!r}"))

    def _end(self, failure: BaseException | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if not self.conn.closed:
            # From a loop callback: what closing abandons may run app code.
            self.conn.closed = True
            self.server.waiters.waiting.pop(self.conn.id, None)
            if not self.server.closed:
                self.conn.engine.memory_close(self.conn.id)
        if self.future.done():
            return
        if failure is None:
            self.future.set_result(bytes(self.out))
        else:
            self.future.set_exception(failure)


async def raw(server: TestServer, data: bytes | Iterable[bytes], *, eof: bool = False,
              timeout: float | None = 5.0) -> bytes:
    """Send exact bytes (pieces in order, the engine serving between them) on a new connection.

    Returns every byte the engine wrote until it was idle (every request it
    received answered, nothing left to write) or ended its output; `eof`
    ends the client's side after the bytes, as shutdown(SHUT_WR). Raises
    TimeoutError when neither comes within `timeout` seconds.
    """
    return await Raw(server, data, eof=eof, timeout=timeout).future
