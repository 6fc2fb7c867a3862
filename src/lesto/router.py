"""Router: the routes of an application, checked when added, compiled into the engine at start."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import _native
from ._native import Response

# A handler gets the app's request class, which extend_request() gives
# attributes that exist only at run time: its static type is Any.
Handler = Callable[[Any], Response | Awaitable[Response]]


class Route:
    """One route: a pattern, its handler and the methods it answers (empty: any)."""

    __slots__ = ("pattern", "handler", "methods", "placeholder_names", "stream_body", "websocket")

    def __init__(self, pattern: str, handler: Handler, methods: tuple[str, ...],
                 placeholder_names: tuple[str, ...], stream_body: bool = False,
                 websocket: bool = False) -> None:
        self.pattern = pattern
        self.handler = handler
        self.methods = methods
        self.placeholder_names = placeholder_names
        self.stream_body = stream_body
        self.websocket = websocket

    def __repr__(self) -> str:
        methods = ",".join(self.methods) or "*"
        return f"<Route {methods} {self.pattern} -> {getattr(self.handler, '__qualname__', self.handler)!r}>"


def _method_names(method: str | None, methods: Iterable[str] | None) -> tuple[str, ...]:
    if method is not None and methods is not None:
        raise TypeError("add_route() takes method= or methods=, not both")
    if method is not None:
        methods = (method,)
    if methods is None:
        return ()
    if isinstance(methods, str):
        raise TypeError("methods= takes a list of method names; use method= for one")
    names: list[str] = []
    for m in methods:
        if not isinstance(m, str):
            raise TypeError(f"method names must be str, not {type(m).__name__}")
        m = m.upper()
        if m not in names:
            names.append(m)
    return tuple(names)


class StaticDir:
    """A folder the engine serves itself below a URL prefix (Router.add_static)."""

    __slots__ = ("prefix", "directory", "index", "cache_control", "show_hidden")

    def __init__(self, prefix: str, directory: str, index: bool, cache_control: str | None,
                 show_hidden: bool) -> None:
        self.prefix = prefix
        self.directory = directory
        self.index = index
        self.cache_control = cache_control
        self.show_hidden = show_hidden

    def __repr__(self) -> str:
        return f"<StaticDir {self.prefix} -> {self.directory}>"


class Router:
    """Routes in the order added; the first whose pattern and method match wins."""

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self._static: list[StaticDir] = []

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)

    def add_route(self, pattern: str, handler: Handler, method: str | None = None,
                  methods: Iterable[str] | None = None, *, stream_body: bool = False) -> Route:
        """Route `pattern` to `handler`.

        `{name}` in a pattern captures the rest of one path segment into
        `request.match_dict`, after any literal text before it in that
        segment (`/user_{id}`); `{}` captures under the key ''. `{{` and `}}`
        stand for literal braces. `method` names one method, `methods`
        several; with neither, any method matches. Raises ValueError for a
        malformed pattern, saying what to fix.

        `stream_body=True`: the handler reads the request body as it arrives
        (`async for piece in request.stream()`), with its own limit
        (`max_stream_body_bytes`); it is called as soon as the head is in,
        and `request.body` is not available.
        """
        if not isinstance(pattern, str):
            raise TypeError(f"route pattern must be str, not {type(pattern).__name__}")
        if not callable(handler):
            raise TypeError(f"route handler must be callable, got {handler!r}")
        names = _method_names(method, methods)
        placeholders = _native.check_route(pattern, names)
        if not isinstance(stream_body, bool):
            raise TypeError(f"stream_body= must be True or False, not {stream_body!r}")
        route = Route(pattern, handler, names, placeholders, stream_body)
        self._routes.append(route)
        return route

    def add_websocket(self, pattern: str, handler: Callable[[Any], Awaitable[Any]]) -> Route:
        """Serve WebSockets at `pattern` (GET): `async def handler(ws)`, ws a lesto.WebSocket.

        The pattern is add_route's. The handler accepts with `await
        ws.accept(subprotocol=..., headers=...)` (or implicitly, by its first
        receive or send), then `await ws.receive()`, `await ws.send(str |
        bytes)`, `async for message in ws`, `await ws.close(code, reason)`;
        `ws.request` is the handshake's request. Returning a Response before
        accepting refuses the handshake with it; returning without accepting
        refuses with 403. When the handler returns the WebSocket is closed
        (1000); when it raises, 1011 and the error is logged. A request that
        is not a valid handshake is answered 400 (or 426 for another
        version) by the engine.
        """
        if not isinstance(pattern, str):
            raise TypeError(f"route pattern must be str, not {type(pattern).__name__}")
        if not callable(handler):
            raise TypeError(f"WebSocket handler must be callable, got {handler!r}")
        placeholders = _native.check_route(pattern, ("GET",))
        route = Route(pattern, handler, ("GET",), placeholders, websocket=True)
        self._routes.append(route)
        return route

    def add_static(self, prefix: str, directory: str | os.PathLike[str], *, index: bool = False,
                   cache_control: str | None = None, show_hidden: bool = False) -> StaticDir:
        """Serve the files below `directory` at URL `prefix` ('/static/'), from the engine alone.

        GET and HEAD, with ETag, Last-Modified, conditional requests (304)
        and single ranges (206, 416); other methods get 405. No request can
        read outside the folder: '..', encoded dots and separators,
        backslashes, NUL, absolute paths, hidden names (.env, .git) and
        symlinks leading out are answered 404 (logged at debug on
        lesto.error). A folder gives 404, or its index.html with
        `index=True`; `cache_control` is sent as Cache-Control; `show_hidden`
        serves names starting with '.' (.well-known). Static folders are
        tried before the routes.
        """
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise ValueError(f"static prefix must be a str starting with '/', not {prefix!r}")
        if not prefix.endswith("/"):
            prefix += "/"
        path = os.path.abspath(os.fspath(directory))
        if not os.path.isdir(path):
            raise ValueError(f"static folder {path!r} is not a directory")
        if cache_control is not None and not isinstance(cache_control, str):
            raise TypeError(f"cache_control= must be a str or None, not {cache_control!r}")
        if any(d.prefix == prefix for d in self._static):
            raise ValueError(f"static prefix {prefix!r} is already served")
        static = StaticDir(prefix, path, bool(index), cache_control, bool(show_hidden))
        # The longest prefix first: '/static/img/' before '/static/'.
        self._static.append(static)
        self._static.sort(key=lambda d: len(d.prefix), reverse=True)
        return static

    def engine_static_dirs(self) -> list[tuple[str, str, bool, str | None, bool]]:
        """The static folders as the engine takes them (ServerConfig's `static_dirs`)."""
        return [(d.prefix, d.directory, d.index, d.cache_control, d.show_hidden)
                for d in self._static]

    def engine_routes(self) -> list[tuple[str, tuple[str, ...], Handler, Route, bool, bool]]:
        """The routes as the engine takes them (ServerConfig's `routes`), in order.

        A list of (pattern, methods, handler, route, stream_body, websocket):
        methods a tuple of upper-case names, empty for any; route the Route
        itself, which `request.route` gives.
        """
        return [(r.pattern, r.methods, r.handler, r, r.stream_body, r.websocket)
                for r in self._routes]
