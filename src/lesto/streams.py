"""Feeding a Response(stream=...)'s pieces to the engine, one task per streamed response.

The engine owns the bytes: framing (chunked or a declared Content-Length),
ordering behind earlier responses, and backpressure. This module only moves
pieces from the app's iterable to the engine's `Transfer`, waiting whenever
the connection is full, and closes the iterable however the stream ends.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING

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


async def pump(transfer: Transfer, source: Source) -> None:
    """Send `source`'s pieces through `transfer`; end it, or cut it short if `source` fails.

    A sync iterator is advanced on the event loop, as sync handlers run: use
    an async generator for anything that blocks.
    """
    iterator: object = source
    try:
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


def run_stream(loop: asyncio.AbstractEventLoop) -> Callable[[Transfer, Source], asyncio.Task[None]]:
    """The engine's `run_stream(transfer, source)` for `loop`."""

    def start(transfer: Transfer, source: Source) -> asyncio.Task[None]:
        task = loop.create_task(pump(transfer, source))
        # A Task cancelled before its first step never runs its coroutine's
        # finally: close the source here then.
        task.add_done_callback(lambda t: _closed_unstarted(t, source))
        return task

    return start


def _closed_unstarted(task: asyncio.Task[None], source: Source) -> None:
    if not task.cancelled():
        return
    if inspect.isasyncgen(source) and source.ag_frame is not None and source.ag_frame.f_lasti < 0:
        return  # never started: nothing to close
    close = getattr(source, "close", None)
    if close is not None and not inspect.isasyncgen(source):
        close()
