"""Type stubs for lesto.app."""

from collections.abc import Awaitable, Callable
from typing import Any

from ._native import Response
from .request import Request
from .router import Router

LIMIT_NAMES: tuple[str, ...]
TIMEOUT_NAMES: tuple[str, ...]

_ErrorHandler = Callable[[Any, Any], Response | Awaitable[Response]]

class Application:
    router: Router
    debug: bool
    limits: dict[str, int]
    timeouts: dict[str, int]
    tick_interval: int
    request_class: type[Request]
    def __init__(
        self,
        *,
        debug: bool = ...,
        limits: dict[str, int] | None = ...,
        timeouts: dict[str, int] | None = ...,
        reaper_settings: dict[str, int] | None = ...,
    ) -> None: ...
    def extend_request(
        self, handler: Callable[..., Any], *, name: str | None = ..., property: bool = ...
    ) -> None: ...
    def add_error_handler(
        self, exc_type: type[BaseException] | None, handler: _ErrorHandler
    ) -> None: ...
    def run(
        self,
        host: str = ...,
        port: int = ...,
        *,
        worker_num: int | None = ...,
        reload: bool = ...,
        debug: bool | None = ...,
    ) -> None: ...
