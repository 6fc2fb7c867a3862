"""Type stubs for lesto.errors."""

from typing import ClassVar

class RouteNotFoundException(Exception):
    code: ClassVar[int]

class MethodNotAllowed(RouteNotFoundException):
    allowed: str
    def __init__(self, allowed: str) -> None: ...
