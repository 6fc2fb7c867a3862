"""handlers_app: sync and async handlers, status codes, failures and method-restricted routes.

Usage: python handlers_app.py PORT.
"""

import asyncio
import hashlib
import sys

import applog

from lesto import Application


class IntentionalError(Exception):
    """Raised by /raise handlers; the tests expect its traceback in the server log."""


def sync_handler(request):
    return request.Response(text=f"sync {request.match_dict['n']} {request.query_string}")


async def sleep_handler(request):
    ms = int(request.match_dict["ms"])
    await asyncio.sleep(ms / 1000)
    return request.Response(text=f"slept {ms} {request.query_string}")


async def async_no_suspend(request):
    return request.Response(text=f"async {request.match_dict['n']} {request.query_string}")


def status_handler(request):
    code = int(request.match_dict["code"])
    return request.Response(code=code, text=f"status {code}")


def raise_handler(request):
    raise IntentionalError("sync handler failed on purpose")


async def raise_async_handler(request):
    await asyncio.sleep(0.001)
    raise IntentionalError("async handler failed on purpose")


def not_a_response(request):
    return "a plain string, not a Response"


def get_only(request):
    return request.Response(text="get only")


def get_or_post(request):
    return request.Response(text=f"{request.method} ok")


def fixed_body(request):
    return request.Response(
        text="fixed body of a known length",
        headers={"X-Fixed": "yes"},
    )


def summary(request):
    """What a handler saw of its request, read at the moment of the call."""
    body = request.body
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "headers": [list(pair) for pair in request.headers.raw()],
        "body_sha256": None if body is None else hashlib.sha256(body).hexdigest(),
        "match_dict": request.match_dict,
    }


async def late_read(request):
    """Sleeps first, then reads the request: its data must outlive the read buffer."""
    await asyncio.sleep(int(request.match_dict["ms"]) / 1000)
    return request.Response(json=summary(request))


kept_requests = []


def keep(request):
    """Keeps the request object past the handler's return."""
    kept_requests.append(request)
    return request.Response(text=str(len(kept_requests) - 1))


def kept(request):
    """Reads a request kept by an earlier /keep, long after it was answered."""
    return request.Response(json=summary(kept_requests[int(request.match_dict["i"])]))


def big(request):
    n = int(request.match_dict["n"])
    return request.Response(body=bytes([48 + n % 10]) * n)


def bad_header(request):
    return request.Response(text="never sent", headers={"X-Injected": "a\r\nSet-Cookie: evil=1"})


def make_app(limits=None, timeouts=None):
    app = Application(limits=limits, timeouts=timeouts)
    r = app.router
    r.add_route("/sync/{n}", sync_handler)
    r.add_route("/sleep/{ms}", sleep_handler)
    r.add_route("/async/{n}", async_no_suspend)
    r.add_route("/status/{code}", status_handler)
    r.add_route("/raise", raise_handler)
    r.add_route("/raise-async", raise_async_handler)
    r.add_route("/not-a-response", not_a_response)
    r.add_route("/get-only", get_only, method="GET")
    r.add_route("/get-or-post", get_or_post, methods=["GET", "POST"])
    r.add_route("/fixed", fixed_body)
    r.add_route("/late/{ms}", late_read)
    r.add_route("/keep", keep)
    r.add_route("/kept/{i}", kept)
    r.add_route("/big/{n}", big)
    r.add_route("/bad-header", bad_header)
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
