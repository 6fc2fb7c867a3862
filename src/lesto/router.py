"""Router: the routes of an application, checked when added, compiled into the engine at start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import _native
from ._native import Response

# A handler gets the app's request class, which extend_request() gives
# attributes that exist only at run time: its static type is Any.
Handler = Callable[[Any], Response | Awaitable[Response]]


class Route:
    """One route: a pattern, its handler and the methods it answers (empty: any)."""

    __slots__ = ("pattern", "handler", "methods", "placeholder_names", "stream_body")

    def __init__(self, pattern: str, handler: Handler, methods: tuple[str, ...],
                 placeholder_names: tuple[str, ...], stream_body: bool = False) -> None:
        self.pattern = pattern
        self.handler = handler
        self.methods = methods
        self.placeholder_names = placeholder_names
        self.stream_body = stream_body

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


class Router:
    """Routes in the order added; the first whose pattern and method match wins."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

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

    def engine_routes(self) -> list[tuple[str, tuple[str, ...], Handler, Route, bool]]:
        """The routes as the engine takes them (ServerConfig's `routes`), in order.

        A list of (pattern, methods, handler, route, stream_body): methods a
        tuple of upper-case names, empty for any; route the Route itself,
        which `request.route` gives.
        """
        return [(r.pattern, r.methods, r.handler, r, r.stream_body) for r in self._routes]
