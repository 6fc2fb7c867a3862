"""api_errors_app: error handlers in a known order, a None catch-all, and failing error handlers.

Usage: python api_errors_app.py PORT.
"""

import asyncio
import sys

import applog

from lesto import Application, MethodNotAllowed, RouteNotFoundException


class Base(Exception):
    pass


class Child(Base):
    pass


class HandlerFails(Exception):
    """Its error handler raises."""


class HandlerReturnsJunk(Exception):
    """Its error handler returns something that is not a Response."""


class AsyncHandled(Exception):
    """Its error handler is an `async def` that suspends."""


def raiser(exc_type):
    def handler(request):
        raise exc_type(request.path)

    return handler


async def raise_async(request):
    await asyncio.sleep(0.001)
    raise Child("from an async handler")


async def raise_async_unhandled(request):
    await asyncio.sleep(0.001)
    raise ZeroDivisionError("async, for the None handler")


def answer(label, code=200):
    def handler(request, exc):
        return request.Response(code=code, text=f"{label}: {type(exc).__name__}: {exc}")

    return handler


def not_found(request, exc):
    if isinstance(exc, MethodNotAllowed):
        return request.Response(code=405, text=f"app 405, allowed {exc.allowed}",
                                headers={"Allow": exc.allowed})
    return request.Response(code=404, text=f"app 404 for {request.path}")


def failing_error_handler(request, exc):
    raise RuntimeError("the error handler itself failed")


def junk_error_handler(request, exc):
    return "junk from an error handler"


async def async_error_handler(request, exc):
    await asyncio.sleep(0.001)
    return request.Response(code=409, text=f"async error handler: {exc}")


app = Application()
app.add_error_handler(Child, answer("child", 418))
app.add_error_handler(Base, answer("base", 400))
app.add_error_handler(LookupError, answer("lookup", 422))
app.add_error_handler(KeyError, answer("keyerror: never, LookupError comes first"))
app.add_error_handler(RouteNotFoundException, not_found)
app.add_error_handler(HandlerFails, failing_error_handler)
app.add_error_handler(HandlerReturnsJunk, junk_error_handler)
app.add_error_handler(AsyncHandled, async_error_handler)
app.add_error_handler(None, answer("none", 503))

r = app.router
r.add_route("/child", raiser(Child))
r.add_route("/base", raiser(Base))
r.add_route("/key", raiser(KeyError))
r.add_route("/index", raiser(IndexError))
r.add_route("/value", raiser(ValueError))
r.add_route("/handler-fails", raiser(HandlerFails))
r.add_route("/handler-junk", raiser(HandlerReturnsJunk))
r.add_route("/async-handled", raiser(AsyncHandled))
r.add_route("/async-child", raise_async)
r.add_route("/async-unhandled", raise_async_unhandled)
r.add_route("/get-only", lambda request: request.Response(text="get"), method="GET")


if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
