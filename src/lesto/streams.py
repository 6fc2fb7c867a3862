"""Feeding a Response(stream=...)'s pieces to the engine when it cannot do it alone.

The engine owns the bytes: framing (chunked or a declared Content-Length),
ordering behind earlier responses, and backpressure. It also feeds a
generator's pieces itself while they come without waiting and the
connection takes them (src/native/stream_pump.cpp). From the first wait
(the producer awaits a future, the connection is full), failure, or a
source that is not a generator, the pump here goes on in a Task: it moves
pieces from the app's iterable to the engine's `Transfer`, waiting whenever
the connection is full, and closes the iterable however the stream ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Any

from ._native import ClientDisconnected
from .logs import error_log

if TYPE_CHECKING:
    from ._native import Transfer

# What Response(stream=...) takes: pieces of the body, sync or async.
Piece = bytes | bytearray | memoryview | str
Source = Iterable[Piece] | AsyncIterable[Piece]


async def _close(iterator: object) -> None:
    """Close what produced the pieces, so its `finally` blocks run now."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


class _InFlight:
    """An __anext__ awaitable the engine stepped once, which yielded `yielded`.

    Awaited, it yields `yielded` first (the future the producer waits on, for
    the Task to wait on), then sends into and throws into the awaitable, so a
    cancel reaches the producer where it waits.
    """

    __slots__ = ("_awaitable", "_yielded", "_fresh")

    def __init__(self, awaitable: Any, yielded: Any) -> None:
        self._awaitable = awaitable
        self._yielded = yielded
        self._fresh = True

    def __await__(self) -> _InFlight:
        return self

    def __iter__(self) -> _InFlight:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        if self._fresh:
            self._fresh = False
            return self._yielded
        return self._awaitable.send(value)

    def throw(self, *exc: Any) -> Any:
        self._fresh = False
        return self._awaitable.throw(*exc)


async def _resume(transfer: Transfer, first: object) -> bool:
    """Finish what the engine left in flight; False when it was the producer's end."""
    if isinstance(first, tuple):
        first = _InFlight(*first)
    try:
        piece = await first  # type: ignore[misc]
    except StopAsyncIteration:  # the producer's last __anext__, which waited first
        return False
    if piece is not None and not transfer.write(piece):
        await transfer.drain()
    return True


async def pump(transfer: Transfer, source: Source, first: object = None) -> None:
    """Send `source`'s pieces through `transfer`; end it, or cut it short if `source` fails.

    `first` is where the engine stopped (src/native/stream_pump.cpp): an
    exception to raise (the producer failed, the client left), the
    connection's drain to await, `(anext, yielded)` for the piece the
    producer was making when it had to wait on `yielded`, or None. The
    engine makes this coroutine's first step itself, and hands it to a Task
    only when it waits. A sync iterator is advanced on the event loop, as
    sync handlers run: use an async generator for anything that blocks.
    """
    iterator: object = source
    try:
        if isinstance(first, BaseException):
            raise first
        if first is None or await _resume(transfer, first):
            if isinstance(source, AsyncIterable):  # what the engine took it for: its type's __aiter__
                pieces = iterator = source.__aiter__()
                async for piece in pieces:
                    if not transfer.write(piece):
                        await transfer.drain()
            else:
                sync_pieces = iterator = iter(source)
                for piece in sync_pieces:
                    if not transfer.write(piece):
                        await transfer.drain()
        transfer.end()
    except ClientDisconnected:
        pass  # the client left, or the response was cut: nothing is owed to anyone
    except asyncio.CancelledError:
        raise  # the client left while the stream waited
    except BaseException as exc:
        transfer.abort()
        request = transfer.request
        error_log.error("the stream answering %s %s failed; the connection was closed",
                        request.method, request.path, exc_info=exc)
        if not isinstance(exc, Exception):
            raise
    finally:
        await _close(iterator)
