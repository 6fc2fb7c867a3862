"""serve(): one worker: a listening socket, the engine, and the asyncio loop that drives them."""

import asyncio
import gc
import logging
import os
import signal
import socket

from . import _native
from ._coro import resumer
from .headers import Headers

error_log = logging.getLogger("lesto.error")
access_log = logging.getLogger("lesto.access")


def log_access(request, status, size, seconds):
    """One access line per request: client, request line, status, body bytes, duration."""
    access_log.info('%s "%s %s HTTP/%s" %d %d %.6f', request.remote_addr, request.method,
                    request.path, request.version, status, size, seconds)


def log_callback_failure(request, callback, exc):
    error_log.error("done callback %r failed for %s %s", callback, request.method, request.path,
                    exc_info=exc)


def new_event_loop():
    """uvloop when installed (the default dependency), else the stdlib loop.

    LESTO_LOOP=asyncio forces the stdlib loop (the test suite runs on both).
    """
    choice = os.environ.get("LESTO_LOOP", "uvloop")
    if choice not in ("uvloop", "asyncio"):
        raise ValueError(f"LESTO_LOOP must be 'uvloop' or 'asyncio', not {choice!r}")
    if choice == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def bind(host, port, *, backlog=1024, reuse_port=False):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def make_engine(app, loop):
    return _native.Server(
        app.router._table(),
        app.request_class,
        Headers,
        app._on_error,
        app._on_not_found,
        resumer(loop),
        loop.call_soon,
        app.limits,
        app.timeouts,
        log_access if (app.debug or getattr(app, "access_log", False)) else None,
        log_callback_failure,
    )


def _configure_logging():
    logger = logging.getLogger("lesto")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def serve(app, host, port, *, sock=None):
    """Run `app` on host:port (or an already bound `sock`) until SIGINT/SIGTERM."""
    _configure_logging()
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    if sock is None:
        sock = bind(host, port)
    engine = make_engine(app, loop)
    address = sock.getsockname()
    engine.add_listener(os.dup(sock.fileno()))
    sock.close()

    interval = app.tick_interval

    def tick():
        engine.tick()
        loop.call_later(interval, tick)

    loop.add_reader(engine.fileno(), engine.poll)
    loop.call_later(interval, tick)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, loop.stop)
    # What exists now (modules, the app, its routes) lives as long as the
    # worker: keep it out of every future garbage collection's traversal.
    gc.collect()
    gc.freeze()
    error_log.info("Lesto serving on http://%s:%d (1 worker, pid %d)", address[0], address[1],
                   os.getpid())
    try:
        loop.run_forever()
    finally:
        loop.remove_reader(engine.fileno())
        engine.close()
        loop.close()
