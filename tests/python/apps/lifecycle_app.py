"""lifecycle_app: short timeouts, access logging, done callbacks and cancellation, recorded for tests.

Usage: python lifecycle_app.py PORT. Timeouts: header 1 s, body 1 s,
keep-alive 2 s, write 1 s. Every request is access-logged (debug=True).
`/events` returns what happened so far, as JSON.
"""

import asyncio
import sys

import applog

from lesto import Application

TIMEOUTS = {"header": 1, "body": 1, "keep_alive": 2, "write": 1}
events = []


def record(kind):
    return lambda request: events.append([kind, request.path])


def with_callback(request):
    request.add_done_callback(record("done"))
    return request.Response(text="with callback")


def failing_callback(request):
    def fail(_request):
        raise RuntimeError("callback-failure-marker")

    request.add_done_callback(fail)
    request.add_done_callback(record("done after failure"))
    return request.Response(text="failing callback")


async def wait(request):
    request.add_done_callback(record("done"))
    try:
        await asyncio.sleep(int(request.match_dict["ms"]) / 1000)
    except asyncio.CancelledError:
        events.append(["cancelled", request.path])
        raise
    events.append(["finished", request.path])
    return request.Response(text="waited")


async def spin(request):
    # Yields bare forever: the engine drives it without a Task until it is cancelled.
    request.add_done_callback(record("done"))
    try:
        while True:
            await asyncio.sleep(0)
    except asyncio.CancelledError:
        events.append(["cancelled", request.path])
        raise


def big(request):
    return request.Response(body=b"x" * int(request.match_dict["n"]))


def make_app():
    app = Application(debug=True, timeouts=TIMEOUTS)
    app.router.add_route("/callback", with_callback)
    app.router.add_route("/failing-callback", failing_callback)
    app.router.add_route("/wait/{ms}", wait)
    app.router.add_route("/big/{n}", big)
    app.router.add_route("/spin", spin)
    app.router.add_route("/events", lambda request: request.Response(json=events))
    app.router.add_route("/", lambda request: request.Response(text="ok"))
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
