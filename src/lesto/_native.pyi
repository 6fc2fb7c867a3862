"""Type stubs for lesto._native, the C++ engine's binding."""

from collections.abc import Awaitable, Callable, Mapping
from http.cookies import SimpleCookie
from typing import Any, TypeVar, final

from typing_extensions import Self

from .headers import Headers
from .router import Route

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
    ) -> Response: ...
    def add_done_callback(self, cb: Callable[[Self], object], /) -> None: ...

@final
class Response:
    """An HTTP response; arguments by keyword or in this order, at most one of text, body and json."""

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

_Handler = Callable[[Any], Response | Awaitable[Response]]

@final
class Server:
    """The engine of one worker: sockets, parsing, routing, responses."""

    def __new__(
        cls,
        routes: list[tuple[str, tuple[str, ...], _Handler, Route]],
        request_class: type[Request],
        headers_factory: Callable[[list[tuple[str, str]]], Mapping[str, str]],
        on_error: Callable[[Request, BaseException, bool], Any],
        on_not_found: Callable[[Request, str | None], Any],
        resume: Any,
        call_soon: Callable[..., Any],
        limits: dict[str, int] | None = ...,
        timeouts: dict[str, int] | None = ...,
        access_log: Callable[..., Any] | None = ...,
        callback_failed: Callable[..., Any] | None = ...,
    ) -> Server: ...
    @property
    def connection_count(self) -> int: ...
    def fileno(self) -> int: ...
    def add_listener(self, fd: int, /) -> None: ...
    def poll(self) -> None: ...
    def flush(self) -> None: ...
    def tick(self) -> None: ...
    def close_listeners(self) -> None: ...
    def drain(self) -> None: ...
    def refuse_unanswered(self) -> int: ...
    def close(self) -> None: ...

def check_route(pattern: str, methods: tuple[str, ...], /) -> tuple[str, ...]:
    """Validate a route pattern and method names; return the placeholder names."""

_T = TypeVar("_T", bound=type)

def json_as_dict(cls: _T, /) -> _T:
    """Response(json=...) encodes instances of `cls` as dict(instance); returns `cls`."""

def _reuse_counts(request: Request, /) -> dict[str, int | bool]:
    """For tests: Requests, stand-ins and Responses made rather than reused; whether this build reuses."""
