"""leak_app: every kind of request, plus /stats with the process's RSS, object count and refcounts.

Usage: python leak_app.py PORT.
"""

import asyncio
import gc
import sys

import applog

from lesto import Application


def stats(request):
    gc.collect()
    with open("/proc/self/statm") as f:
        rss_pages = int(f.read().split()[1])
    return request.Response(json={
        "rss": rss_pages * 4096,
        "objects": len(gc.get_objects()),
        "refcounts": {
            "None": sys.getrefcount(None),
            "True": sys.getrefcount(True),
            "False": sys.getrefcount(False),
            "empty_str": sys.getrefcount(""),
            "int_200": sys.getrefcount(200),
        },
    })


async def slow(request):
    await asyncio.sleep(0.001)
    return request.Response(text="slow")


async def instant(request):
    await asyncio.sleep(0)
    return request.Response(json={"q": request.query_string, "h": len(request.headers)})


def fail(request):
    raise RuntimeError("leak-test-expected-failure")


def make_app():
    app = Application()
    app.router.add_route("/", lambda request: request.Response(text="hello"))
    app.router.add_route("/post", lambda request: request.Response(body=request.body or b""))
    app.router.add_route("/slow", slow)
    app.router.add_route("/instant", instant)
    app.router.add_route("/fail", fail)
    app.router.add_route("/stats", stats, method="GET")
    app.router.add_route("/only-get", lambda request: request.Response(text="get"), method="GET")
    app.add_error_handler(RuntimeError, lambda request, exc: request.Response(code=500, text="x"))
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
