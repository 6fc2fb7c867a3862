"""routing_app: routes whose literal text clients percent-encode, and a placeholder echo.

Usage: python routing_app.py PORT.
"""

import sys

import applog

from lesto import Application


def describe(request):
    return request.Response(json={
        "route": request.route.pattern,
        "path": request.path,
        "match_dict": request.match_dict,
        "hostname": request.hostname,
        "port": request.port,
    })


def make_app():
    app = Application()
    for pattern in ("/café", "/a b", "/x/{{y}}", "/files/{name}", "/files/{name}/meta"):
        app.router.add_route(pattern, describe)
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
