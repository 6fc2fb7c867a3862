"""Type stubs for lesto: the names the package exports."""

from ._native import Response as Response
from .app import Application as Application
from .errors import MethodNotAllowed as MethodNotAllowed
from .errors import RouteNotFoundException as RouteNotFoundException
from .request import Request as Request
from .router import Route as Route
from .router import Router as Router

__all__ = [
    "Application",
    "MethodNotAllowed",
    "Request",
    "Response",
    "Route",
    "RouteNotFoundException",
    "Router",
]
__version__: str
