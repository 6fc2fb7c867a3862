"""Type stubs for lesto: the names the package exports."""

from ._native import ClientDisconnected as ClientDisconnected
from ._native import Response as Response
from .app import Application as Application
from .body import InvalidJSON as InvalidJSON
from .errors import MethodNotAllowed as MethodNotAllowed
from .errors import RouteNotFoundException as RouteNotFoundException
from .forms import FormError as FormError
from .forms import UploadedFile as UploadedFile
from .headers import Headers as Headers
from .multidict import MultiDict as MultiDict
from .request import Request as Request
from .router import Route as Route
from .router import Router as Router

__all__ = [
    "Application",
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
]
__version__: str
