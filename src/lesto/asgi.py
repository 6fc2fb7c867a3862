"""Serving an ASGI 3 app (FastAPI, Starlette, Django, Litestar, ...) on the engine.

`AsgiApplication` wraps the app in an Application, so that everything an
Application has (workers, reload, graceful stop, SIGHUP, limits, timeouts,
access log) applies unchanged: the engine is told to give every request to
the app (`ServerConfig(asgi=...)`) instead of the routes, and the lifespan
protocol runs as the startup and shutdown hooks.
"""

from __future__ import annotations

import inspect
from collections.abc import MutableMapping
from typing import Any

from . import _native, proxy
from .app import Application
from .lifespan import AsgiApp, Lifespan, Message
from .logs import error_log

# The ASGI HTTP and WebSocket spec version the engine implements (asgiref's
# newest): 2.4 is send() to a client that has gone raising an OSError
# (ClientDisconnected), 2.5 the reason in websocket.disconnect.
ASGI = {"version": "3.0", "spec_version": "2.5"}
# http.response.pathsend: a file the engine sends itself (sendfile), no Python per piece.
EXTENSIONS: dict[str, dict[str, object]] = {"http.response.pathsend": {}}
INTERFACES = ("auto", "asgi", "lesto")
# The scope keys the engine sets per request or WebSocket (asgi/scope.cpp).
REQUEST_KEYS = ("path", "raw_path", "headers", "client")
# Keys whose usual value the templates hold: the engine sets them only when a
# request differs (HTTP/1.0, a query, another method), one lookup fewer each.
USUAL = {"http_version": "1.1", "query_string": b""}


def is_asgi_app(app: object) -> bool:
    """Whether `app` looks like an ASGI 3 app: a callable that is not a Lesto Application."""
    return callable(app) and not isinstance(app, Application)


def check_asgi3(app: object) -> None:
    """A clear error for what cannot be an ASGI 3 app (ASGI 2's double callable included)."""
    if not callable(app):
        raise TypeError(f"{app!r} is not an ASGI app: it is not callable")
    try:
        params = inspect.signature(app).parameters
    except (TypeError, ValueError):
        return  # a builtin or C callable: trust it
    positional = [p for p in params.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if len(positional) == 1 and positional[0].kind is not positional[0].VAR_POSITIONAL:
        raise TypeError(f"{app!r} takes one argument: an ASGI 2 app (scope) -> coroutine? "
                        "Lesto serves ASGI 3 apps, async def app(scope, receive, send); "
                        "wrap it with asgiref.compatibility.guarantee_single_callable")


class AsgiApplication(Application):
    """An ASGI app served by Lesto; run() and every operation as for an Application."""

    def __init__(self, app: AsgiApp, *, lifespan: str = "auto", root_path: str = "",
                 debug: bool = False, limits: dict[str, int] | None = None,
                 timeouts: dict[str, int] | None = None) -> None:
        check_asgi3(app)
        super().__init__(debug=debug, limits=limits, timeouts=timeouts)
        self.asgi = app
        self.root_path = root_path
        self.lifespan = Lifespan(app, lifespan)
        self.on_startup(self._lifespan_startup)
        self.on_shutdown(self._lifespan_shutdown)

    async def _lifespan_startup(self, _app: Application) -> None:
        await self.lifespan.startup()

    async def _lifespan_shutdown(self, _app: Application) -> None:
        await self.lifespan.shutdown()

    def served_app(self) -> AsgiApp:
        """The app the engine calls: behind proxy headers when they are on."""
        if self.trusted_proxies is None:
            return self.asgi
        return ProxyHeaders(self.asgi, self.trusted_proxies)

    def scope_template(self, server: tuple[str, int] | None) -> dict[str, Any]:
        """The keys every request's scope shares; the engine copies it per request.

        The request's own keys are there too, as None, for the engine to
        fill in: the copy then has its final size, and setting them
        replaces values instead of growing the dict.
        """
        return {"type": "http", "asgi": dict(ASGI), "scheme": "http",
                "root_path": self.root_path, "server": server,
                "extensions": {k: dict(v) for k, v in EXTENSIONS.items()},
                "state": self.lifespan.state, **dict.fromkeys(REQUEST_KEYS), **USUAL,
                "method": "GET"}

    def websocket_scope_template(self, server: tuple[str, int] | None) -> dict[str, Any]:
        """The keys every websocket scope shares (no method; the engine adds subprotocols)."""
        return {"type": "websocket", "asgi": dict(ASGI), "scheme": "ws",
                "root_path": self.root_path, "server": server,
                "extensions": {"websocket.http.response": {}},
                "state": self.lifespan.state, **dict.fromkeys(REQUEST_KEYS), **USUAL,
                "subprotocols": None}

    def error_response(self, request: _native.Request, exc: BaseException,
                       in_error_handler: bool) -> _native.Response:
        """The engine's answer (and log line) for an app that raised."""
        error_log.error("the ASGI app raised on %s %s", request.method, request.path,
                        exc_info=exc)
        return self._internal_error(exc)


class ProxyHeaders:
    """`client` and `scheme` from X-Forwarded-For and -Proto when the peer is a trusted proxy."""

    def __init__(self, app: AsgiApp, trusted: proxy.Trust) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            if self.trusted(peer):
                forwarded_for: list[str] = []
                forwarded_proto: list[str] = []
                for name, value in scope["headers"]:
                    if name == b"x-forwarded-for":
                        forwarded_for.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        forwarded_proto.append(value.decode("latin-1"))
                client = proxy.client_address(peer, forwarded_for, self.trusted)
                scope["client"] = (client, 0 if client != peer else port)
                scheme = proxy.forwarded_scheme(peer, forwarded_proto, self.trusted,
                                                "https" if scope["scheme"] in ("https", "wss")
                                                else "http")
                if scope["type"] == "websocket":
                    scheme = "wss" if scheme == "https" else "ws"
                scope["scheme"] = scheme
        await self.app(scope, receive, send)


def serve(app: object, host: str = "127.0.0.1", port: int = 8080, *, interface: str = "auto",
          lifespan: str = "auto", root_path: str = "", **run_options: Any) -> None:
    """Serve `app` (an ASGI 3 app or a Lesto Application) until SIGINT or SIGTERM.

    Takes the options of Application.run (worker_num, reload, debug,
    access_log, grace_period, proxy_headers, forwarded_allow_ips,
    reload_dirs); for an ASGI app also `lifespan` ('auto', 'on', 'off') and
    `root_path`. `interface` says which the app is ('asgi', 'lesto'); 'auto'
    tells by its type.
    """
    application = as_application(app, interface=interface, lifespan=lifespan,
                                 root_path=root_path)
    application.run(host, port, **run_options)


def as_application(app: object, *, interface: str = "auto", lifespan: str = "auto",
                   root_path: str = "") -> Application:
    """The Application that serves `app`: itself, or an AsgiApplication around an ASGI app."""
    if interface not in INTERFACES:
        raise ValueError(f"interface must be one of {', '.join(INTERFACES)}, not {interface!r}")
    if isinstance(app, Application):
        if interface == "asgi":
            raise TypeError(f"{app!r} is a lesto.Application, not an ASGI app "
                            "(use interface='lesto' or 'auto')")
        return app
    if interface == "lesto":
        raise TypeError(f"{app!r} is not a lesto.Application (use interface='asgi' or 'auto')")
    return AsgiApplication(app, lifespan=lifespan, root_path=root_path)  # type: ignore[arg-type]


__all__ = ["AsgiApplication", "Message", "serve", "as_application", "is_asgi_app"]
