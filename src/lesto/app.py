"""Application: routes, error handlers and settings; `run` serves them."""

from __future__ import annotations

import asyncio
import builtins
import contextvars
import keyword
import logging
import os
import signal
import traceback
import types
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import _native, stop_signals
from ._native import Response
from .errors import MethodNotAllowed, RouteNotFoundException
from .request import Request
from .router import Router
from .server import DEFAULT_GRACE_PERIOD, new_event_loop

if TYPE_CHECKING:
    import ssl

error_log = logging.getLogger("lesto.error")

# True while the `lesto` command imports the app (cli.load_app): an app.run()
# that a japronto-style module calls at import is then ignored, as japronto's
# command did, and the command line's options apply.
importing_for_cli: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lesto_importing_for_cli", default=False)

# The engine's own: {name: (default, what it bounds)}, declared once in C++ (src/core).
LIMIT_NAMES = tuple(_native.LIMITS)
TIMEOUT_NAMES = tuple(_native.TIMEOUTS)

# What the app hands to user code is Any where that code may be typed for
# the app's own request class (extend_request adds attributes at run time)
# or for its own Application subclass.
ErrorHandler = Callable[[Any, Any], Response | Awaitable[Response]]
Hook = Callable[[Any], object]
H = TypeVar("H", bound=Hook)


def _checked(kind: str, given: Mapping[str, object] | None,
             names: Iterable[str]) -> dict[str, int]:
    names = tuple(names)
    checked: dict[str, int] = {}
    unknown = sorted(set(given or {}) - set(names))
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(unknown)}; known: {', '.join(names)}")
    for name, value in (given or {}).items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{kind} {name} must be a positive int, got {value!r}")
        checked[name] = value
    return checked


def _described(settings: Mapping[str, tuple[int, str]], unit: str) -> str:
    return "\n".join(f"        {name} (default {default}{unit}): {doc}"
                     for name, (default, doc) in settings.items())


class Application:
    """A Lesto application: `app.router.add_route(...)`, then `app.run()`.

    `limits` overrides the engine's size limits and `timeouts` its timeouts
    in whole seconds (the latter checked by one periodic tick); each is a
    dict of the names below. japronto's `reaper_settings={'check_interval':
    s, 'idle_timeout': s}` still works: the tick interval and keep-alive
    timeout; so does its `log_request=True|False`: the access log
    (`access_log`). `websocket_compression`: WebSockets agree on
    permessage-deflate when the client offers it (default True).
    """

    def __init__(self, *, debug: bool = False, limits: dict[str, int] | None = None,
                 timeouts: dict[str, int] | None = None,
                 reaper_settings: dict[str, int] | None = None, log_request: bool | None = None,
                 protocol_factory: None = None, websocket_compression: bool = True) -> None:
        if protocol_factory is not None:
            raise TypeError("protocol_factory= is not supported: Lesto's C++ engine handles the "
                            "connections, there is no asyncio Protocol to replace; see "
                            "'Differences from japronto' in Lesto's README")
        if log_request is not None and not isinstance(log_request, bool):
            raise TypeError(f"log_request must be True, False or None (the access log), "
                            f"got {log_request!r}")
        self.router = Router()
        self.debug = debug
        if not isinstance(websocket_compression, bool):
            raise TypeError(f"websocket_compression must be True or False, "
                            f"got {websocket_compression!r}")
        # permessage-deflate (RFC 7692) when a client offers it.
        self.websocket_compression = websocket_compression
        self.limits = _checked("limit", limits, LIMIT_NAMES)
        self.timeouts = _checked("timeout", timeouts, TIMEOUT_NAMES)
        self.tick_interval = 1
        if reaper_settings:
            reaper = _checked("reaper setting", reaper_settings, ("check_interval", "idle_timeout"))
            self.tick_interval = reaper.get("check_interval", 1)
            if "idle_timeout" in reaper:
                self.timeouts.setdefault("keep_alive", reaper["idle_timeout"])
        self._error_handlers: list[tuple[type[BaseException] | None, ErrorHandler]] = []
        self.access_log = log_request  # None: on with debug; see run()
        # run(proxy_headers=True) sets it: see lesto.proxy
        self.trusted_proxies: Callable[[str], bool] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # see the loop property
        self._startup_hooks: list[Hook] = []
        self._shutdown_hooks: list[Hook] = []
        # Per app, so that extend_request() and `request.app` concern this app only.
        self.request_class = cast("type[Request]", type(
            "Request", (Request,), {"__slots__": (), "__module__": __name__, "app": self}
        ))

    def extend_request(self, handler: Callable[..., object], *, name: str | None = None,
                       property: bool = False) -> None:
        """Add `request.<name>` (default: the handler's __name__) to this app's requests.

        With property=True, reading `request.<name>` returns `handler(request)`,
        computed at each read; otherwise `request.<name>(*args, **kwargs)` calls
        `handler(request, *args, **kwargs)`. A name that requests already have
        (an attribute of Request, or an earlier extension) is refused.
        """
        if not callable(handler):
            raise TypeError(f"extend_request() takes a callable, got {handler!r}")
        if name is None:
            name = getattr(handler, "__name__", None)
            if name is None:
                raise TypeError(f"extend_request(): {handler!r} has no __name__; pass name=")
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(
                f"extend_request(): name {name!r} is not a Python identifier; pass name="
            )
        # What an instance can reach: its classes' namespaces, not type's.
        owner = next((k for k in self.request_class.__mro__ if name in vars(k)), None)
        if owner is not None:
            raise ValueError(
                f"extend_request(): request.{name} already exists ({vars(owner)[name]!r}); "
                "choose another name="
            )
        attribute: object
        if property:
            attribute = builtins.property(handler, doc=getattr(handler, "__doc__", None))
        elif isinstance(handler, types.FunctionType):
            attribute = handler  # a function binds to the request by itself
        else:
            def method(request: Request, *args: object, **kwargs: object) -> object:
                return handler(request, *args, **kwargs)

            method.__name__ = method.__qualname__ = name
            method.__doc__ = getattr(handler, "__doc__", None)
            attribute = method
        setattr(self.request_class, name, attribute)

    def add_error_handler(self, exc_type: type[BaseException] | None,
                          handler: ErrorHandler) -> None:
        """Answer exceptions of `exc_type` (None: any) with `handler(request, exc)`.

        The first handler whose type matches, in registration order, is used.
        """
        if exc_type is not None and not (
            isinstance(exc_type, type) and issubclass(exc_type, BaseException)
        ):
            raise TypeError(f"add_error_handler() takes an exception class or None, not {exc_type!r}")
        if not callable(handler):
            raise TypeError(f"error handler must be callable, got {handler!r}")
        self._error_handlers.append((exc_type, handler))

    # ---- answers the engine asks for ------------------------------------------

    def not_found_response(self, request: _native.Request,
                           allowed: str | None) -> Response | Awaitable[Response]:
        """The answer to a request that no route takes (the engine calls this).

        `allowed` is None when no route has the path, else the methods its
        routes take ('GET, POST'). Raised as RouteNotFoundException or
        MethodNotAllowed to the error handlers; by default 404, or 405 with
        Allow.
        """
        exc = RouteNotFoundException("not found") if allowed is None else MethodNotAllowed(allowed)
        return self.error_response(request, exc, False)

    def error_response(self, request: _native.Request, exc: BaseException,
                       in_error_handler: bool) -> Response | Awaitable[Response]:
        """The answer to a handler that raised `exc` (the engine calls this).

        The first error handler whose type matches answers; without one,
        404 and 405 for routing errors, else 500 with the exception logged
        (its traceback in the body with debug). `in_error_handler`: `exc`
        came from an error handler itself, which is logged and answered 500.
        """
        if in_error_handler:
            error_log.error("error handler failed for %s %s", request.method, request.path,
                            exc_info=exc)
            return self._internal_error(exc)
        for exc_type, handler in self._error_handlers:
            if exc_type is None or isinstance(exc, exc_type):
                try:
                    return handler(request, exc)
                except Exception as failure:  # noqa: BLE001 (logged, answered 500)
                    # What it returns (or its coroutine raises) comes back
                    # through the engine; what it raises here is handled here.
                    return self.error_response(request, failure, True)
        if isinstance(exc, MethodNotAllowed):
            return Response(code=405, text="Method Not Allowed", headers={"Allow": exc.allowed})
        if isinstance(exc, RouteNotFoundException):
            return Response(code=404, text="Not Found")
        error_log.error("unhandled exception in handler for %s %s", request.method, request.path,
                        exc_info=exc)
        return self._internal_error(exc)

    def _internal_error(self, exc: BaseException) -> Response:
        if self.debug:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            return Response(code=500, text=text)
        return Response(code=500, text="Internal Server Error")

    # ---- running ------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this app runs on.

        While a worker runs (startup and shutdown hooks, handlers): that
        worker's loop. Before run(): made at first use (uvloop unless
        LESTO_LOOP=asyncio), and run() without workers serves on it, so that
        `app.loop.run_until_complete(setup())` before `app.run()` prepares
        what the handlers use, as with japronto. The workers of a master each
        run a new loop (a loop cannot be shared across a fork). Once run()
        returns, the loop it ran is closed; the next use makes a new one.
        """
        loop = self._loop
        if loop is None or loop.is_closed():  # what has_loop tells
            loop = self._loop = new_event_loop()
        return loop

    @loop.setter
    def loop(self, loop: asyncio.AbstractEventLoop) -> None:
        # lesto.server.serve sets the loop it serves on (a forked worker's is its own).
        self._loop = loop

    @property
    def has_loop(self) -> bool:
        """Whether `loop` is a loop already made and not closed (reading `loop` makes none)."""
        return self._loop is not None and not self._loop.is_closed()

    @property
    def startup_hooks(self) -> tuple[Hook, ...]:
        """The hooks on_startup() registered, in order: each worker runs them."""
        return tuple(self._startup_hooks)

    @property
    def shutdown_hooks(self) -> tuple[Hook, ...]:
        """The hooks on_shutdown() registered, in order: each worker runs them."""
        return tuple(self._shutdown_hooks)

    def on_startup(self, hook: H) -> H:
        """Run `hook(app)` in each worker, in its own event loop, before it accepts connections.

        Sync or async; in registration order. A hook that raises stops the
        worker before it serves. Returns `hook`, so it works as a decorator.
        """
        if not callable(hook):
            raise TypeError(f"on_startup() takes a callable, got {hook!r}")
        self._startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: H) -> H:
        """Run `hook(app)` in each worker once it stopped serving (connections drained or closed).

        Sync or async; in registration order; a hook that raises is logged and
        the others still run. Returns `hook`, so it works as a decorator.
        """
        if not callable(hook):
            raise TypeError(f"on_shutdown() takes a callable, got {hook!r}")
        self._shutdown_hooks.append(hook)
        return hook

    def run(self, host: str = "0.0.0.0", port: int = 8080, *, worker_num: int | None = None,
            reload: bool = False, debug: bool | None = None, access_log: bool | None = None,
            grace_period: float = DEFAULT_GRACE_PERIOD, proxy_headers: bool = False,
            forwarded_allow_ips: str | list[str] | None = None,
            reload_dirs: list[str] | None = None,
            ssl_certfile: str | os.PathLike[str] | None = None,
            ssl_keyfile: str | os.PathLike[str] | None = None,
            ssl_keyfile_password: str | None = None,
            ssl_ca_certs: str | os.PathLike[str] | None = None,
            ssl_cert_reqs: str | int = "none", ssl_ciphers: str | None = None,
            ssl_min_version: str | ssl.TLSVersion = "TLSv1.2") -> None:
        """Serve on host:port until SIGINT or SIGTERM, then stop gracefully.

        worker_num=None serves in this process; worker_num=N starts a master
        process that supervises N worker processes (see lesto.workers).
        reload=True replaces the workers when a *.py file under `reload_dirs`
        (default: the working directory and the program's) changes.
        access_log=None logs each request when debug is on. On SIGTERM, a
        worker stops accepting and lets the requests it received finish for
        up to `grace_period` seconds, then answers those still running 503.
        A stop signal at any moment of start-up is a graceful stop too.
        proxy_headers=True takes
        request.remote_addr and request.scheme from X-Forwarded-For and
        X-Forwarded-Proto when the peer is in `forwarded_allow_ips` (a comma
        list of addresses or networks, '*' for any; default 127.0.0.1).
        ssl_certfile (and ssl_keyfile, ...) serves HTTPS instead of HTTP,
        with uvicorn's option names: see lesto.tls.options; a file that
        cannot be used stops run() at once, saying why. While the `lesto`
        command imports the app, a call is ignored (the command line
        decides), as japronto's command did.
        """
        from . import proxy, tls, workers

        if importing_for_cli.get():
            error_log.info("app.run() called while the lesto command imports the app: ignored, "
                           "the command line's options apply")
            return
        if debug is not None:
            self.debug = debug
        if access_log is not None:
            self.access_log = access_log
        if worker_num is not None and (
            not isinstance(worker_num, int) or isinstance(worker_num, bool) or worker_num < 1
        ):
            raise ValueError(f"worker_num must be a positive int or None, got {worker_num!r}")
        if not grace_period >= 0:
            raise ValueError(f"grace_period must be >= 0 seconds, got {grace_period!r}")
        self.trusted_proxies = (proxy.trusted_proxies(forwarded_allow_ips) if proxy_headers
                                else None)
        proxy.request_class(self.request_class, self.trusted_proxies)  # a conflict raises now
        tls_options = tls.options(ssl_certfile, ssl_keyfile, ssl_keyfile_password, ssl_ca_certs,
                                  ssl_cert_reqs, ssl_ciphers, ssl_min_version)
        # From here on SIGTERM and SIGINT stop the server gracefully, whenever they come.
        previous = {sig: signal.getsignal(sig) for sig in stop_signals.STOP_SIGNALS}
        stop_signals.catch()
        try:
            code = workers.run(self, host, port, worker_num=worker_num, reload=reload,
                               grace_period=grace_period, reload_dirs=reload_dirs,
                               tls=tls_options)
        finally:
            stop_signals.take()  # caught once the server had stopped: asked for what is done
            for sig, handler in previous.items():
                if handler is not None:  # None: not set from Python; leave it as it is
                    signal.signal(sig, handler)
        if code:
            raise SystemExit(code)


if Application.__doc__:  # None under python -OO
    Application.__doc__ += (f"\n    Limits:\n{_described(_native.LIMITS, '')}\n"
                            f"\n    Timeouts:\n{_described(_native.TIMEOUTS, ' s')}\n")
