"""fields_app: Responses whose headers, mime_type, encoding or cookies hold an odd character.

Usage: python fields_app.py PORT.

/build/{field}/{code}: a Response with the character U+{code} (hex) in
`field`. The ValueError Response(...) raises comes back as JSON (status
422); a Response it accepts is sent as it is, so the test sees its bytes.
/uncaught/{field}/{code}: the same, the exception left to the server.
/changed/...: a Response whose headers dict changes after it was built,
with something the writer refuses or cannot be given.
"""

import asyncio
import sys
from http.cookies import Morsel, SimpleCookie

import applog

from lesto import Application, Response

app = Application()
r = app.router


def cookie_named(name):
    """A SimpleCookie holding one morsel named `name`, past SimpleCookie's own key check."""
    morsel = Morsel()
    morsel.__setstate__({"key": name, "value": "v", "coded_value": "v"})
    cookies = SimpleCookie()
    dict.__setitem__(cookies, name, morsel)
    return cookies


def cookie_valued(coded_value):
    """A SimpleCookie holding one morsel whose value is sent as `coded_value`, unquoted."""
    cookies = SimpleCookie()
    cookies["k"] = "v"
    cookies["k"].set("k", "v", coded_value)
    return cookies


# Each puts the character c into one field, at the position the test expects.
BUILDERS = {
    "header-name": lambda c: Response(text="x", headers={f"X-{c}B": "1"}),  # position 2
    "header-value": lambda c: Response(text="x", headers={"X-A": f"a{c}b"}),  # 1
    "mime_type": lambda c: Response(text="x", mime_type=f"text/plain{c}x"),  # 10
    "encoding": lambda c: Response(json=[1], encoding=f"utf-8{c}"),  # 5
    "cookie-name": lambda c: Response(text="x", cookies=cookie_named(f"a{c}b")),  # 1
    "cookie-value": lambda c: Response(text="x", cookies=cookie_valued(f"v{c}w")),  # 3
}


def build(request):
    field, code = request.match_dict["field"], int(request.match_dict["code"], 16)
    try:
        return BUILDERS[field](chr(code))
    except ValueError as exc:
        return request.Response(code=422, json={"type": type(exc).__name__, "message": str(exc)})


def uncaught(request):
    field, code = request.match_dict["field"], int(request.match_dict["code"], 16)
    return BUILDERS[field](chr(code))


# What goes into the headers dict after Response(...) checked it.
CHANGES = {
    "control-byte": ("X-Late", "a\x01b"),
    "space-in-name": ("X Late", "1"),
    "not-latin-1": ("X-Late", "\u20ac"),
    "not-a-str": ("X-Late", 1),
}


def changed(request):
    headers = {"X-Early": "1"}
    response = request.Response(text="changed", headers=headers)
    name, value = CHANGES[request.match_dict["change"]]
    headers[name] = value
    return response


async def changed_async(request):
    await asyncio.sleep(0.001)  # a Task answers, not the dispatch
    return changed(request)


r.add_route("/build/{field}/{code}", build)
r.add_route("/uncaught/{field}/{code}", uncaught)
r.add_route("/changed/{change}", changed)
r.add_route("/changed-async/{change}", changed_async)


if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
