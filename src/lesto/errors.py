"""Exceptions the server raises into error handlers."""


class RouteNotFoundException(Exception):
    """No route matches the request's path (answered 404 by default)."""

    code = 404


class MethodNotAllowed(RouteNotFoundException):
    """A route matches the path but not the method (answered 405 with Allow).

    It subclasses RouteNotFoundException so that apps written for japronto,
    which answered 404 here and let apps override that, still see it.
    """

    code = 405

    def __init__(self, allowed: str):
        super().__init__(f"method not allowed; allowed: {allowed}")
        self.allowed = allowed
