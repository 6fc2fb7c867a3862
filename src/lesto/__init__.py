"""Lesto: a pipelining HTTP/1.1 server for Python handlers, with a C++20 engine."""

from ._native import Response
from .app import Application
from .errors import MethodNotAllowed, RouteNotFoundException
from .request import Request
from .router import Route, Router

__all__ = [
    "Application",
    "MethodNotAllowed",
    "Request",
    "Response",
    "Route",
    "RouteNotFoundException",
    "Router",
]
__version__ = "0.1.0"
