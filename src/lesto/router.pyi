"""Type stubs for lesto.router."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ._native import Response

_Handler = Callable[[Any], Response | Awaitable[Response]]

class Route:
    pattern: str
    handler: _Handler
    methods: tuple[str, ...]
    placeholder_names: tuple[str, ...]
    stream_body: bool
    def __init__(
        self,
        pattern: str,
        handler: _Handler,
        methods: tuple[str, ...],
        placeholder_names: tuple[str, ...],
        stream_body: bool = ...,
    ) -> None: ...

class Router:
    def __init__(self) -> None: ...
    @property
    def routes(self) -> list[Route]: ...
    def add_route(
        self,
        pattern: str,
        handler: _Handler,
        method: str | None = ...,
        methods: Iterable[str] | None = ...,
        *,
        stream_body: bool = ...,
    ) -> Route: ...
    def engine_routes(self) -> list[tuple[str, tuple[str, ...], _Handler, Route, bool]]: ...
