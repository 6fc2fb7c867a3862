"""WebSocket sessions to the app over a memory connection, framed by the `websockets` library.

The client side is `websockets`' sans-I/O ClientProtocol (handshake,
masking, fragments, compression, close handshake, answers to pings): the
engine's WebSocket code meets a client that is not itself, in memory.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response as HandshakeResponse
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from .server import MemoryConnection, TestServer

T = TypeVar("T")
Message = str | bytes

# Headers of a client's request the handshake writes itself.
HANDSHAKE_HEADERS = frozenset({b"host", b"connection", b"upgrade", b"content-length",
                               b"transfer-encoding"})
SEND_AHEAD = 64 * 1024  # as for HTTP (lesto.testing.http): how far a sender gets ahead


class WebSocketDisconnect(Exception):
    """The WebSocket is closed: `code` and `reason` from the server's close frame.

    1006 when the connection ended without one.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"WebSocket closed: {code} {reason}".rstrip())
        self.code = code
        self.reason = reason


class WebSocketDenied(Exception):
    """The server answered the handshake with a response, not 101: `response` is it."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"the WebSocket handshake was answered {response.status_code}")
        self.response = response


class AsyncWebSocketSession:
    """One WebSocket to the app: `async with client.websocket_connect('/ws') as ws:`."""

    def __init__(self, server: TestServer, request: httpx.Request,
                 subprotocols: list[str] | None = None) -> None:
        self.server = server
        self.request = request
        url = request.url.copy_with(scheme="wss" if request.url.scheme == "https" else "ws")
        self.protocol = ClientProtocol(
            parse_uri(str(url)), extensions=enable_client_permessage_deflate(None),
            subprotocols=[Subprotocol(p) for p in subprotocols] if subprotocols else None,
            max_size=None)
        self.conn: MemoryConnection | None = None
        self.accepted_subprotocol: str | None = None
        self.response_headers: httpx.Headers = httpx.Headers()
        # What the protocol received: the handshake's response, then frames.
        self._events: collections.deque[object] = collections.deque()
        self._fragments: list[bytes] = []
        self._fragment_text = False

    # ---- the session's life ----------------------------------------------------

    async def connect(self) -> AsyncWebSocketSession:
        """The handshake; raises WebSocketDenied when the app refuses it."""
        self.conn = self.server.open()
        handshake = self.protocol.connect()
        for name, value in self.request.headers.raw:
            lower = name.lower()
            if lower not in HANDSHAKE_HEADERS and not lower.startswith(b"sec-websocket-"):
                handshake.headers[name.decode("latin-1")] = value.decode("latin-1")
        self.protocol.send_request(handshake)
        await self._flush()
        while True:
            event = await self._next_event()
            if isinstance(event, HandshakeResponse):
                break
        self.response_headers = httpx.Headers(list(event.headers.raw_items()))
        if self.protocol.handshake_exc is not None:
            await self.conn.close()
            raise WebSocketDenied(httpx.Response(event.status_code, headers=self.response_headers,
                                                 content=bytes(event.body or b""),
                                                 request=self.request))
        self.accepted_subprotocol = self.protocol.subprotocol
        return self

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the handshake's way: send a close frame, wait for the server's, leave."""
        if self.conn is None or self.conn.closed:
            return
        try:
            if self.protocol.state is State.OPEN:
                self.protocol.send_close(code, reason)
                await self._flush()
            # The server answers with its close frame and ends the connection.
            while await self._read():
                pass
            self._events.clear()
        finally:
            await self.conn.close()
        self.server.check()

    async def __aenter__(self) -> AsyncWebSocketSession:
        return await self.connect()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc_value: BaseException | None, traceback: TracebackType | None) -> None:
        await self.close()

    # ---- messages --------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        self.protocol.send_text(data.encode())
        await self._flush()

    async def send_bytes(self, data: bytes) -> None:
        self.protocol.send_binary(data)
        await self._flush()

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send_text(text)
        else:
            await self.send_bytes(text.encode())

    async def receive(self) -> Message:
        """The next whole message: str (text) or bytes (binary).

        Raises WebSocketDisconnect once the server closed.
        """
        while True:
            event = await self._next_event()
            if not isinstance(event, Frame):
                continue
            if event.opcode in (Opcode.TEXT, Opcode.BINARY):
                self._fragments = [bytes(event.data)]
                self._fragment_text = event.opcode is Opcode.TEXT
            elif event.opcode is Opcode.CONT:
                self._fragments.append(bytes(event.data))
            elif event.opcode is Opcode.CLOSE:
                close = self.protocol.close_rcvd
                await self._flush()  # the protocol's answering close frame
                raise WebSocketDisconnect(close.code if close else 1005,
                                          close.reason if close else "")
            else:
                continue  # ping (answered by the protocol) or pong
            if event.fin:
                data = b"".join(self._fragments)
                self._fragments = []
                return data.decode() if self._fragment_text else data

    async def receive_text(self) -> str:
        message = await self.receive()
        if not isinstance(message, str):
            raise TypeError(f"expected a text message, received binary {message[:50]!r}")
        return message

    async def receive_bytes(self) -> bytes:
        message = await self.receive()
        if not isinstance(message, bytes):
            raise TypeError(f"expected a binary message, received text {message[:50]!r}")
        return message

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        return json.loads(await self.receive_text() if mode == "text" else await self.receive_bytes())

    # ---- bytes -----------------------------------------------------------------

    async def _flush(self) -> None:
        """Send what the protocol has to send (b"" in its list is the end of the client's side)."""
        assert self.conn is not None
        for data in self.protocol.data_to_send():
            if self.conn.state()[2]:
                return  # the server ended the connection: nothing more is read
            if not data:
                await self.conn.send_eof()
                continue
            waiting = await self.conn.send(data)
            while waiting > SEND_AHEAD and not self.conn.state()[2]:
                await self.conn.news()
                self.server.check()
                waiting = self.conn.state()[0]

    async def _read(self) -> bool:
        """Give the protocol what the engine wrote next; False once it wrote nothing more."""
        assert self.conn is not None
        data = await self.conn.receive()
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        await self._flush()
        return bool(data)

    async def _next_event(self) -> Frame | HandshakeResponse:
        """The protocol's next event (the handshake's response, then frames), reading as needed."""
        while not self._events:
            more = await self._read()
            self._events.extend(self.protocol.events_received())
            if not more and not self._events:
                self.server.check()
                close = self.protocol.close_rcvd
                raise WebSocketDisconnect(close.code if close else 1006,
                                          close.reason if close else "")
        event = self._events.popleft()
        assert isinstance(event, (Frame, HandshakeResponse))
        return event


class WebSocketSession:
    """The sync face of AsyncWebSocketSession: each call runs the loop until it is done."""

    def __init__(self, run: Callable[[Coroutine[Any, Any, Any]], Any],
                 session: AsyncWebSocketSession) -> None:
        self._run = run
        self.session = session

    @property
    def accepted_subprotocol(self) -> str | None:
        return self.session.accepted_subprotocol

    @property
    def response_headers(self) -> httpx.Headers:
        return self.session.response_headers

    def __enter__(self) -> WebSocketSession:
        self._run(self.session.connect())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._run(self.session.close())

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._run(self.session.close(code, reason))

    def send_text(self, data: str) -> None:
        self._run(self.session.send_text(data))

    def send_bytes(self, data: bytes) -> None:
        self._run(self.session.send_bytes(data))

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        self._run(self.session.send_json(data, mode))

    def receive(self) -> Message:
        result: Message = self._run(self.session.receive())
        return result

    def receive_text(self) -> str:
        result: str = self._run(self.session.receive_text())
        return result

    def receive_bytes(self) -> bytes:
        result: bytes = self._run(self.session.receive_bytes())
        return result

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        return self._run(self.session.receive_json(mode))
