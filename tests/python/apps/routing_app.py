"""routing_app: routes whose literal text clients percent-encode, placeholder forms, an echo.

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
    for pattern in ("/café", "/a b", "/x/{{y}}", "/files/{name}", "/files/{name}/meta",
                    "/x{a}", "/user_{id}/edit", "/café-{x}", "/n/{a\0b}",
                    # Last: any one-segment path the routes above leave.
                    "/{}"):
        app.router.add_route(pattern, describe)
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
