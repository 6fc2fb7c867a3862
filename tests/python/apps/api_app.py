"""api_app: every request attribute and Response argument, and routing, through the public API.

Usage: python api_app.py PORT. /describe answers what the handler saw of its
request as JSON; each attribute is {"value": ...} or {"error": [type, message]}.
"""

import asyncio
import json
import sys
from http.cookies import SimpleCookie

import applog

from lesto import Application, Response

app = Application()
r = app.router


def jsonable(value):
    """A JSON form of an attribute's value, showing MultiDicts as lists of pairs."""
    if hasattr(value, "multi_items"):
        return [[name, jsonable(v)] for name, v in value.multi_items()]
    if hasattr(value, "filename"):
        return {"name": value.name, "filename": value.filename, "field_name": value.field_name,
                "type": value.type, "content_type": value.content_type,
                "body": value.body.decode("latin-1")}
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


ATTRIBUTES = ("method", "path", "version", "query_string", "query", "mime_type", "encoding",
              "body", "text", "json", "form", "files", "cookies", "hostname", "port",
              "remote_addr", "keep_alive", "match_dict", "extra")


def read(request, name):
    try:
        value = getattr(request, name)
    except Exception as exc:  # noqa: BLE001 (reported to the client)
        return {"error": [type(exc).__name__, str(exc),
                          isinstance(exc, json.JSONDecodeError)]}
    return {"value": jsonable(value)}


def describe(request):
    info = {name: read(request, name) for name in ATTRIBUTES}
    info["headers"] = [list(pair) for pair in request.headers.raw()]
    info["route"] = request.route.pattern if request.route is not None else None
    info["app_is_app"] = request.app is app
    info["of_the_app_request_class"] = isinstance(request, app.request_class)
    return request.Response(json=info)


def twice(request):
    """Each derived attribute read twice gives the same object: computed once."""
    names = ("query", "mime_type", "text", "json", "form", "files", "cookies", "hostname")
    same = {name: getattr(request, name) is getattr(request, name) for name in names}
    request.extra["mine"] = 1
    return request.Response(json={"same": same, "extra": request.extra})


def fresh(request):
    """The next request on a reused object sees none of the previous one's cached values."""
    return request.Response(json={"query": dict(request.query), "extra": request.extra,
                                  "cookies": request.cookies})


def query_getall(request):
    return request.Response(json={
        "a": request.query.get("a"),
        "all_a": request.query.getall("a"),
        "missing": request.query.getall("missing"),
        "missing_default": request.query.getall("missing", "none"),
        "names": list(request.query),
    })


def japronto_form(request):
    """A handler written for japronto: `form is None` for no form, File's type/body/name."""
    if request.form is None:
        return request.Response(text="no form")
    lines = [f"{name}={value}" for name, value in request.form.items()]
    if request.files is not None:
        lines += [f"file {field}: {f.name} {f.type} {len(f.body)}"
                  for field, f in request.files.items()]
    return request.Response(text="\n".join(lines))


# ---- responses ---------------------------------------------------------------


def resp_text(request):
    return request.Response(text="Hello world!")


def resp_bound(request):
    """request.Response kept aside and called later, as a bound method."""
    make = request.Response
    return make(text="bound", code=203)


def resp_unbound(request):
    """Response looked up on the request's class: called with the request first."""
    return type(request).Response(request, text="unbound", code=203)


def resp_encoding(request):
    return request.Response(text="Já pronto!", encoding="iso-8859-1")


def resp_mime(request):
    return request.Response(mime_type="image/svg+xml", text="<svg/>")


def resp_body(request):
    return request.Response(body=b"\xde\xad\xbe\xef")


def resp_bytearray(request):
    return request.Response(body=bytearray(b"ba"))


def resp_json(request):
    return request.Response(json={"hello": "world", "n": [1, 2.5, None, True]})


def resp_json_mime(request):
    return request.Response(json=[1], mime_type="application/problem+json")


def resp_empty(request):
    return request.Response()


def resp_code(request):
    code = int(request.match_dict["code"])
    return request.Response(code=code, text=f"code {code}")


def resp_headers(request):
    return request.Response(text="headers",
                            headers={"X-Header": "Value", "Refresh": "5; url=/"})


def resp_cookies(request):
    cookies = SimpleCookie()
    cookies["hello"] = "world"
    cookies["hello"]["domain"] = "localhost"
    cookies["hello"]["path"] = "/"
    cookies["hello"]["max-age"] = 3600
    cookies["city"] = "São Paulo"
    return request.Response(text="cookies", cookies=cookies)


def resp_standalone(request):
    """A Response built outside the request, by lesto.Response."""
    return STANDALONE


STANDALONE = Response(code=201, text="built at import", headers={"X-Standalone": "1"})


MISUSES = {
    "text-and-body": lambda: Response(text="a", body=b"b"),
    "text-and-json": lambda: Response(text="a", json=1),
    "crlf-value": lambda: Response(headers={"X-A": "a\r\nX-B: b"}),
    "lf-name": lambda: Response(headers={"X-A\nB": "a"}),
    "code-99": lambda: Response(code=99),
    "code-600": lambda: Response(code=600),
    "code-str": lambda: Response(code="200"),
    "int-header-value": lambda: Response(headers={"X-A": 1}),
    "bytes-header-name": lambda: Response(headers={b"X-A": "1"}),
    "text-bytes": lambda: Response(text=b"bytes"),
    "positional-and-keyword": lambda: Response("text", text="again"),
    "nine-positional": lambda: Response("a", 200, None, None, None, None, None, None, None),
    "unknown-kw": lambda: Response(txt="a"),
}


def misuse(request):
    """The exception a misuse raises, caught in the handler and reported."""
    try:
        MISUSES[request.match_dict["kind"]]()
    except Exception as exc:  # noqa: BLE001 (reported to the client)
        return request.Response(json={"type": type(exc).__name__, "message": str(exc)})
    return request.Response(code=500, text="no exception")


def misuse_uncaught(request):
    return request.Response(text="never", body=b"never")


def not_a_response(request):
    return {"a dict": "not a Response"}


async def not_a_response_async(request):
    await asyncio.sleep(0.001)
    return 42


def json_uncaught(request):
    return request.Response(json=request.json)


# ---- routing -------------------------------------------------------------------


def echo_match(request):
    return request.Response(json={"match_dict": request.match_dict, "method": request.method,
                                  "route": request.route.pattern})


async def async_echo(request):
    await asyncio.sleep(0.001)
    return request.Response(json={"query": dict(request.query), "json": request.json,
                                  "hostname": request.hostname})


# ---- extend_request --------------------------------------------------------------


def reversed_agent(request):
    return request.headers.get("User-Agent", "")[::-1]


def host_startswith(request, prefix):
    return (request.hostname or "").startswith(prefix)


app.extend_request(reversed_agent, property=True)
app.extend_request(host_startswith)
app.extend_request(lambda request: request.method.lower(), name="lower_method", property=True)


class Shouter:
    def __call__(self, request, word):
        return f"{word.upper()} {request.path}"


app.extend_request(Shouter(), name="shout")


def extended(request):
    return request.Response(json={
        "reversed_agent": request.reversed_agent,
        "api": request.host_startswith("api."),
        "lower_method": request.lower_method,
        "shout": request.shout("hi"),
    })


r.add_route("/describe", describe)
r.add_route("/describe/{a}/{b}", describe)
r.add_route("/twice", twice)
r.add_route("/fresh", fresh)
r.add_route("/query", query_getall)
r.add_route("/japronto-form", japronto_form)
r.add_route("/resp/text", resp_text)
r.add_route("/resp/bound", resp_bound)
r.add_route("/resp/unbound", resp_unbound)
r.add_route("/resp/encoding", resp_encoding)
r.add_route("/resp/mime", resp_mime)
r.add_route("/resp/body", resp_body)
r.add_route("/resp/bytearray", resp_bytearray)
r.add_route("/resp/json", resp_json)
r.add_route("/resp/json-mime", resp_json_mime)
r.add_route("/resp/empty", resp_empty)
r.add_route("/resp/code/{code}", resp_code)
r.add_route("/resp/headers", resp_headers)
r.add_route("/resp/cookies", resp_cookies)
r.add_route("/resp/standalone", resp_standalone)
r.add_route("/misuse/{kind}", misuse)
r.add_route("/misuse-uncaught", misuse_uncaught)
r.add_route("/not-a-response", not_a_response)
r.add_route("/not-a-response-async", not_a_response_async)
r.add_route("/json-uncaught", json_uncaught)
r.add_route("/users/{id}", echo_match, method="GET")
r.add_route("/users/{id}/posts/{post}", echo_match, methods=["get", "Put"])
r.add_route("/braces/{{literal}}/{id}", echo_match)
r.add_route("/any", echo_match)
r.add_route("/only-post", echo_match, method="post")
r.add_route("/async", async_echo)
r.add_route("/extended", extended)


if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
