"""Lesto: a pipelining HTTP/1.1 server for Python handlers, with a C++20 engine."""

from ._native import ClientDisconnected, Response, WebSocket, WebSocketClosed
from .app import Application
from .asgi import AsgiApplication, serve
from .body import InvalidJSON
from .errors import MethodNotAllowed, RouteNotFoundException
from .forms import FormError, UploadedFile
from .headers import Headers
from .multidict import MultiDict
from .request import Request
from .router import Route, Router

__all__ = [
    "Application",
    "AsgiApplication",
    "ClientDisconnected",
    "FormError",
    "Headers",
    "InvalidJSON",
    "MethodNotAllowed",
    "MultiDict",
    "Request",
    "Response",
    "Route",
    "RouteNotFoundException",
    "Router",
    "UploadedFile",
    "WebSocket",
    "WebSocketClosed",
    "serve",
]
__version__ = "0.1.0"
