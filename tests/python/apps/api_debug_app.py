"""api_debug_app: debug=True and no error handlers: tracebacks go into 500 bodies.

Usage: python api_debug_app.py PORT.
"""

import asyncio
import sys

import applog

from lesto import Application


class DebugError(Exception):
    pass


def sync_fails(request):
    raise DebugError("sync failure shown in debug")


async def async_fails(request):
    await asyncio.sleep(0.001)
    raise DebugError("async failure shown in debug")


def handled(request):
    raise KeyError("goes to a failing error handler")


def failing_error_handler(request, exc):
    raise RuntimeError("error handler failure shown in debug")


app = Application(debug=True)
app.add_error_handler(KeyError, failing_error_handler)
app.router.add_route("/sync", sync_fails)
app.router.add_route("/async", async_fails)
app.router.add_route("/handler-fails", handled)
app.router.add_route("/ok", lambda request: request.Response(text="ok"))


if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
