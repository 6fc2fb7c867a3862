"""echo_app: answers every request with what the server parsed from it, as JSON.

Usage: python echo_app.py PORT. Any path answers (a path no route matches is
echoed by the RouteNotFoundException handler, with 200), so that the shared
HTTP cases can be sent as they are.
"""

import asyncio
import base64
import hashlib
import json
import sys

import applog

from lesto import Application, RouteNotFoundException

BODY_ECHO_LIMIT = 64 * 1024  # bodies up to this size come back whole (base64)


def _text(s):
    """A str the JSON encoder accepts: surrogate-escaped bytes shown as latin-1."""
    if s is None:
        return None
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


def describe(request):
    body = request.body
    info = {
        "method": request.method,
        "path": _text(request.path),
        "query_string": request.query_string,
        "version": request.version,
        "keep_alive": request.keep_alive,
        "headers": [list(pair) for pair in request.headers.raw()],
        "body_length": None if body is None else len(body),
        "body_sha256": None if body is None else hashlib.sha256(body).hexdigest(),
        "body_b64": None,
        "match_dict": request.match_dict,
        "route": request.route.pattern if request.route is not None else None,
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "tls": request.tls,
        "loop": type(asyncio.get_event_loop()).__module__,
    }
    if body is not None and len(body) <= BODY_ECHO_LIMIT:
        info["body_b64"] = base64.b64encode(body).decode("ascii")
    return info


def echo(request):
    info = describe(request)
    if request.method == "HEAD":
        # A HEAD response carries no body: the description travels in a header.
        encoded = base64.b64encode(json.dumps(info).encode()).decode("ascii")
        return request.Response(json=info, headers={"X-Echo": encoded})
    return request.Response(json=info)


def echo_unrouted(request, exc):
    return echo(request)


def make_app():
    app = Application()
    app.router.add_route("/", echo)
    app.router.add_route("/echo/{first}/{second}", echo)
    app.add_error_handler(RouteNotFoundException, echo_unrouted)
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]), **applog.run_options())
