"""Type stubs for lesto.app."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ._native import Response
from .request import Request
from .router import Router

LIMIT_NAMES: tuple[str, ...]
TIMEOUT_NAMES: tuple[str, ...]

_ErrorHandler = Callable[[Any, Any], Response | Awaitable[Response]]
_Hook = Callable[[Any], object]
_H = TypeVar("_H", bound=_Hook)

class Application:
    router: Router
    debug: bool
    limits: dict[str, int]
    timeouts: dict[str, int]
    tick_interval: int
    request_class: type[Request]
    access_log: bool | None
    trusted_proxies: Callable[[str], bool] | None
    def __init__(
        self,
        *,
        debug: bool = ...,
        limits: dict[str, int] | None = ...,
        timeouts: dict[str, int] | None = ...,
        reaper_settings: dict[str, int] | None = ...,
        log_request: bool | None = ...,
        protocol_factory: None = ...,
    ) -> None: ...
    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...
    @loop.setter
    def loop(self, loop: asyncio.AbstractEventLoop) -> None: ...
    @property
    def has_loop(self) -> bool: ...
    @property
    def startup_hooks(self) -> tuple[_Hook, ...]: ...
    @property
    def shutdown_hooks(self) -> tuple[_Hook, ...]: ...
    def extend_request(
        self, handler: Callable[..., Any], *, name: str | None = ..., property: bool = ...
    ) -> None: ...
    def add_error_handler(
        self, exc_type: type[BaseException] | None, handler: _ErrorHandler
    ) -> None: ...
    def error_response(self, request: Any, exc: BaseException, in_error_handler: bool) -> Any: ...
    def not_found_response(self, request: Any, allowed: str | None) -> Any: ...
    def on_startup(self, hook: _H) -> _H: ...
    def on_shutdown(self, hook: _H) -> _H: ...
    def run(
        self,
        host: str = ...,
        port: int = ...,
        *,
        worker_num: int | None = ...,
        reload: bool = ...,
        debug: bool | None = ...,
        access_log: bool | None = ...,
        grace_period: float = ...,
        proxy_headers: bool = ...,
        forwarded_allow_ips: str | list[str] | None = ...,
        reload_dirs: list[str] | None = ...,
    ) -> None: ...
