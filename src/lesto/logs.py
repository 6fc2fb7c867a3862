"""Lesto's loggers: `lesto.error` for the server's messages, `lesto.access` one line a request."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ._native import Request

error_log = logging.getLogger("lesto.error")
access_log = logging.getLogger("lesto.access")

LEVELS = ("critical", "error", "warning", "info", "debug")
FORMAT = "%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s"


def log_access(request: Request, status: int, size: int, seconds: float) -> None:
    """One access line per request: client, request line, status, body bytes, duration."""
    access_log.info('%s "%s %s HTTP/%s" %d %d %.6f', request.remote_addr, request.method,
                    request.path, request.version, status, size, seconds)


def log_callback_failure(request: Request, callback: Callable[..., object],
                         exc: BaseException) -> None:
    error_log.error("done callback %r failed for %s %s", callback, request.method, request.path,
                    exc_info=exc)


def log_response_refused(request: Request, reason: str) -> None:
    """The writer refused what the handler returned (and answered 500): why, and for which route."""
    error_log.error("response refused for %s %s, answered 500 Internal Server Error: %s",
                    request.method, request.path, reason)


def log_response_failed(request: Request | None, reason: str) -> None:
    """A response could not be sent as the handler made it: why, and what the client got.

    `request` is None for a static file, which has no request object.
    """
    if request is None:
        error_log.error("%s", reason)
    else:
        error_log.error("%s %s: %s", request.method, request.path, reason)


def log_static_refused(method: str, path: str, reason: str) -> None:
    """A request under a static folder named nothing served (answered 404): why, at debug."""
    error_log.debug("static: %s %s answered 404: %s", method, path, reason)


def log_tls_event(what: str, peer: str | None, detail: str) -> None:
    """What a TLS listener reports: a failed handshake (debug), whether kernel TLS is on (once)."""
    if what == "handshake_failed":
        error_log.debug("TLS handshake with %s failed: %s", peer, detail)
    elif what == "kernel_tls" and detail == "on":
        error_log.info("TLS: kernel TLS is on: files go out with sendfile (SSL_sendfile)")
    elif what == "kernel_tls":
        error_log.info("TLS: kernel TLS is off (the kernel has no tls module, or OpenSSL or "
                       "the cipher lacks it): files are read and encrypted 64 KiB at a time")
    else:
        error_log.debug("TLS: %s %s %s", what, peer, detail)


def configure(level: str | None = None) -> None:
    """Give lesto's loggers a stderr handler unless the program configured logging itself.

    `level` (one of LEVELS) sets the level of the `lesto` logger whatever the
    program did; without it, INFO when lesto adds the handler.
    """
    logger = logging.getLogger("lesto")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
        if level is None:
            logger.setLevel(logging.INFO)
    if level is not None:
        if level.lower() not in LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
        logger.setLevel(level.upper())
