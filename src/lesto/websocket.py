"""Running a WebSocket route's handler: one task per WebSocket, from the handshake to the close.

The engine owns the protocol: the handshake, framing, masking, fragments,
UTF-8, ping/pong, the close handshake, compression and backpressure. This
module only runs `handler(ws)` and settles what the handler left undone: a
handshake neither accepted nor refused is refused (403, or the Response the
handler returned); a WebSocket still open is closed (1000, or 1011 when the
handler raised, which is logged).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from ._native import Response, WebSocket, WebSocketClosed
from .logs import error_log

WebSocketHandler = Callable[[WebSocket], Awaitable[Any]]


async def serve(handler: WebSocketHandler, ws: WebSocket) -> None:
    """Run `handler(ws)`; refuse or close what it left open."""
    request = ws.request
    try:
        call = handler(ws)
        if not inspect.isawaitable(call):
            raise TypeError(f"the WebSocket handler {handler!r} returned {call!r}, not an "
                            f"awaitable: make it `async def handler(ws)`")
        result = await call
    except WebSocketClosed:
        return  # the peer closed or left while the handler used the socket: nothing is owed
    except asyncio.CancelledError:
        if ws.state == "open":
            await ws.close(1001, "the server is stopping")
        raise
    except BaseException as exc:
        error_log.error("the WebSocket handler for %s %s failed", request.method, request.path,
                        exc_info=exc)
        if ws.state == "handshake":
            ws._refuse(Response(code=500))
        elif ws.state == "open":
            await ws.close(1011, "the server failed")
        if not isinstance(exc, Exception):
            raise
        return
    if ws.state == "handshake":
        if isinstance(result, Response):
            ws._refuse(result)
        else:
            if result is not None:
                error_log.error("the WebSocket handler for %s %s returned %r: return None, or "
                                "a Response to refuse the handshake with; answered 403",
                                request.method, request.path, result)
            await ws.close()
    elif ws.state == "open":
        await ws.close()


def run_websocket(loop: asyncio.AbstractEventLoop) -> Callable[[WebSocketHandler, WebSocket],
                                                               asyncio.Task[None]]:
    """The engine's `run_websocket(handler, ws)` for `loop`."""

    def start(handler: WebSocketHandler, ws: WebSocket) -> asyncio.Task[None]:
        # Named: a default name is a new string per task, kept by every idle WebSocket.
        return loop.create_task(serve(handler, ws), name="lesto-websocket")

    return start
