"""Type stubs for lesto._native, the C++ engine's binding (tests/python/test_api_stubs.py checks them)."""

import asyncio
import contextvars
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from http.cookies import SimpleCookie
from typing import Any, Protocol, TypeVar, final

from typing_extensions import Self, disjoint_base

from .headers import Headers
from .router import Handler, Route
from .streams import Piece, Source

# A C struct lies under it: a class cannot derive from it and another such type.
@disjoint_base
class Request:
    """An HTTP request, as given to a handler; made by the server, never by hand."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def query_string(self) -> str | None: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def body(self) -> bytes | None: ...
    @property
    def match_dict(self) -> dict[str, str]: ...
    @property
    def keep_alive(self) -> bool: ...
    @property
    def remote_addr(self) -> str: ...
    @property
    def peer_addr(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def tls(self) -> dict[str, Any] | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def route(self) -> Route | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def Response(
        self,
        text: str | None = ...,
        code: int | None = ...,
        body: bytes | bytearray | memoryview | None = ...,
        json: Any = ...,
        mime_type: str | None = ...,
        encoding: str | None = ...,
        headers: dict[str, str] | None = ...,
        cookies: SimpleCookie | None = ...,
        *,
        stream: Source | None = ...,
        file: str | bytes | os.PathLike[str] | os.PathLike[bytes] | None = ...,
    ) -> Response: ...
    def add_done_callback(self, cb: Callable[[Self], object], /) -> None: ...
    @property
    def body_reader(self) -> BodyReader | None: ...

@final
class BodyReader:
    """A request body read piece by piece, as the app asks; made by the engine."""

    def read(self) -> asyncio.Future[bytes]: ...

@final
class Response:
    """An HTTP response: japronto's arguments by keyword or in this order, stream and file by keyword;
    at most one of text, body, json, stream and file."""

    def __new__(
        cls,
        text: str | None = ...,
        code: int | None = ...,
        body: bytes | bytearray | memoryview | None = ...,
        json: Any = ...,
        mime_type: str | None = ...,
        encoding: str | None = ...,
        headers: dict[str, str] | None = ...,
        cookies: SimpleCookie | None = ...,
        *,
        stream: Source | None = ...,
        file: str | bytes | os.PathLike[str] | os.PathLike[bytes] | None = ...,
    ) -> Response: ...
    @property
    def code(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def headers(self) -> dict[str, str]: ...

class ClientDisconnected(ConnectionError):
    """The client has gone (or the response was cut short): nothing more can be sent to it."""

@final
class Transfer:
    """One response body on its way to the client (a stream's or a file's); made by the engine."""

    @property
    def request(self) -> Request: ...
    @property
    def open(self) -> bool: ...
    def write(self, piece: Piece, /) -> bool: ...
    def drain(self) -> asyncio.Future[None]: ...
    def end(self) -> None: ...
    def abort(self) -> None: ...

class WebSocketClosed(ClientDisconnected):
    """The WebSocket is closed: `code` and `reason` say how (1006: lost without a close)."""

    code: int
    reason: str

@final
class WebSocket:
    """One WebSocket connection, as its handler sees it."""

    @property
    def request(self) -> Request: ...
    @property
    def subprotocols(self) -> tuple[str, ...]: ...
    @property
    def subprotocol(self) -> str | None: ...
    @property
    def close_code(self) -> int | None: ...
    @property
    def close_reason(self) -> str | None: ...
    @property
    def state(self) -> str: ...
    def accept(
        self, subprotocol: str | None = None, *, headers: dict[str, str] | None = None
    ) -> Awaitable[None]: ...
    def receive(self) -> Awaitable[str | bytes]: ...
    def send(self, data: str | bytes | bytearray | memoryview, /) -> Awaitable[None]: ...
    def close(self, code: int = 1000, reason: str = "") -> Awaitable[None]: ...
    def _refuse(self, response: Response, /) -> None: ...
    def __aiter__(self) -> WebSocket: ...
    def __anext__(self) -> Awaitable[str | bytes]: ...

class _Scheduler(Protocol):
    """What ServerConfig(scheduler=...) reads, once (lesto._coro.Scheduler)."""

    loop: asyncio.AbstractEventLoop
    def call_soon(self, callback: Callable[[], object], /) -> object: ...
    def take_over(self, coro: Coroutine[Any, Any, Any], yielded: Any, /) -> asyncio.Task[Any]: ...
    def stand_in(self, loop: asyncio.AbstractEventLoop, /) -> object: ...
    def run_task(
        self, coro: Coroutine[Any, Any, Any], context: contextvars.Context, /
    ) -> asyncio.Task[Any]: ...
    enter_task: Callable[[asyncio.AbstractEventLoop, object], object] | None
    leave_task: Callable[[asyncio.AbstractEventLoop, object], object] | None

@final
class ServerConfig:
    """What a Server takes from the app and the event loop, each field checked once."""

    def __new__(
        cls,
        *,
        routes: list[tuple[str, tuple[str, ...], Handler, Route, bool, bool]],
        request_class: type[Request],
        headers_factory: Callable[[list[tuple[str, str]]], Mapping[str, str]],
        error_response: Callable[[Request, BaseException, bool], object],
        not_found_response: Callable[[Request, str | None], object],
        scheduler: _Scheduler,
        limits: dict[str, int] = ...,
        timeouts: dict[str, int] = ...,
        access_log: Callable[[Request, int, int, float], object] | None = ...,
        callback_failed: Callable[[Request, Callable[..., object], BaseException], object],
        response_refused: Callable[[Request, str], object] | None = ...,
        run_stream: Callable[[Transfer, Source], asyncio.Task[None]],
        response_failed: Callable[[Request | None, str], object],
        content_types: list[tuple[str, str]] = ...,
        static_dirs: list[tuple[str, str, bool, str | None, bool]] = ...,
        asgi: Callable[..., Awaitable[None]] | None = ...,
        asgi_scope: dict[str, Any] | None = ...,
        asgi_websocket_scope: dict[str, Any] | None = ...,
        run_websocket: Callable[[Any, WebSocket], asyncio.Task[None]] | None = ...,
        websocket_compression: bool = ...,
        static_refused: Callable[[str, str, str], object] | None = ...,
        tls_event: Callable[[str, str | None, str], object] | None = ...,
    ) -> ServerConfig: ...
    @property
    def routes(self) -> tuple[tuple[str, tuple[str, ...], Handler, Route, bool, bool], ...]: ...
    @property
    def request_class(self) -> type[Request]: ...
    @property
    def headers_factory(self) -> Callable[[list[tuple[str, str]]], Mapping[str, str]]: ...
    @property
    def error_response(self) -> Callable[[Request, BaseException, bool], object]: ...
    @property
    def not_found_response(self) -> Callable[[Request, str | None], object]: ...
    @property
    def scheduler(self) -> _Scheduler: ...
    @property
    def limits(self) -> dict[str, int]: ...
    @property
    def timeouts(self) -> dict[str, int]: ...
    @property
    def access_log(self) -> Callable[[Request, int, int, float], object] | None: ...
    @property
    def callback_failed(self) -> Callable[[Request, Callable[..., object], BaseException], object]: ...
    @property
    def response_refused(self) -> Callable[[Request, str], object] | None: ...
    @property
    def run_stream(
        self,
    ) -> Callable[[Transfer, Source], asyncio.Task[None]]: ...
    @property
    def response_failed(self) -> Callable[[Request | None, str], object]: ...
    @property
    def content_types(self) -> list[tuple[str, str]]: ...
    @property
    def static_dirs(self) -> list[tuple[str, str, bool, str | None, bool]]: ...
    @property
    def asgi(self) -> Callable[..., Awaitable[None]] | None: ...
    @property
    def asgi_scope(self) -> dict[str, Any] | None: ...
    @property
    def asgi_websocket_scope(self) -> dict[str, Any] | None: ...
    @property
    def run_websocket(self) -> Callable[[Any, WebSocket], asyncio.Task[None]] | None: ...
    @property
    def websocket_compression(self) -> bool: ...
    @property
    def static_refused(self) -> Callable[[str, str, str], object] | None: ...
    @property
    def tls_event(self) -> Callable[[str, str | None, str], object] | None: ...

@final
class TlsContext:
    """The certificate, key and settings a TLS listener serves with, read once."""

    def __new__(
        cls,
        certfile: str,
        keyfile: str | None = None,
        password: str | None = None,
        ca_certs: str | None = None,
        cert_reqs: str = "none",
        ciphers: str | None = None,
        min_version: str = "TLSv1.2",
    ) -> TlsContext: ...

@final
class Server:
    """The engine of one worker: sockets, parsing, routing, responses."""

    def __new__(cls, config: ServerConfig, /) -> Server: ...
    @property
    def connection_count(self) -> int: ...
    def fileno(self) -> int: ...
    def add_listener(self, fd: int, /, *, tls: TlsContext | None = None) -> None: ...
    def poll(self) -> None: ...
    def flush(self) -> None: ...
    def tick(self) -> None: ...
    def close_listeners(self) -> None: ...
    def drain(self) -> None: ...
    def refuse_unanswered(self) -> int: ...
    def close(self) -> None: ...

LIMITS: dict[str, tuple[int, str]]
"""The engine's size limits: {name: (default, what it bounds)}."""
TIMEOUTS: dict[str, tuple[int, str]]
"""The engine's timeouts in seconds: {name: (default, what it bounds)}."""

def check_route(pattern: str, methods: tuple[str, ...], /) -> tuple[str, ...]:
    """Validate a route pattern and method names; return the placeholder names."""

_T = TypeVar("_T", bound=type)

def json_as_dict(cls: _T, /) -> _T:
    """Response(json=...) encodes instances of `cls` as dict(instance); returns `cls`."""

def _reuse_counts(request: Request, /) -> dict[str, int | bool]:
    """For tests: Requests, stand-ins and Responses made rather than reused; whether this build reuses."""
