"""compat_data_app: what japronto apps did that Lesto must take unchanged.

Usage: python compat_data_app.py PORT.

- /json/{attr} answers Response(json=request.<attr>) (headers, query, form,
  files, cookies), /json/match/{a}/{b} Response(json=request.match_dict);
  /seen/{attr} answers the same mapping as the handler reads it, a list of
  [name, mapping[name]] in iteration order, encoded without Lesto's types.
- /nested/{attr}: the mapping inside a dict and a list.
- /keys: a dict with the non-str keys json.dumps takes; /bad-key: one it refuses.
- /names?v=NAME: the header names as the app sees them and lookups by NAME.
- /positional/{case}: request.Response and lesto.Response called with
  positional arguments, as japronto's order has them.
"""

import sys

import applog

from lesto import Application, Response

app = Application()
r = app.router


def mapping(request, attr):
    return request.match_dict if attr == "match" else getattr(request, attr)


def as_json(request):
    return request.Response(json=mapping(request, request.match_dict["attr"]))


def as_json_match(request):
    return request.Response(json=request.match_dict)


def seen(request):
    m = mapping(request, request.match_dict["attr"])
    return request.Response(json=[[name, m[name]] for name in m])


def nested(request):
    m = mapping(request, request.match_dict["attr"])
    return request.Response(json={"value": m, "list": [m, {"again": m}]})


# json.dumps takes these keys; a japronto app could return them. (No 1 or 0:
# True and False are equal to them, and would share their entry.)
KEYS = {7: "int", -7: "negative", 2**70: "big", 2.5: "float", 1e16: "1e16", 1e-05: "small",
        float("inf"): "inf", float("nan"): "nan", True: "true", False: "false", None: "null",
        "s": "str"}


def keys(request):
    return request.Response(json={"keys": KEYS, "nested": [{0: {1.5: None}}]})


def bad_key(request):
    try:
        request.Response(json={"fine": {(1, 2): "tuple key"}})
    except TypeError as exc:
        return request.Response(json={"type": type(exc).__name__, "message": str(exc)})
    return request.Response(code=500, text="no exception")


def names(request):
    v = request.query.get("v", "")
    headers = request.headers
    return request.Response(json={
        "raw": [name for name, _ in headers.raw()],
        "names": list(headers),
        "get": headers.get(v),
        "in": v in headers,
        "getall": headers.getall(v),
    })


POSITIONAL = {
    "text": lambda request: request.Response("hi"),
    "text-code": lambda request: request.Response("not here", 404),
    "body": lambda request: request.Response(None, 201, b"\x00raw"),
    "json": lambda request: request.Response(None, 202, None, {"a": [1, 2]}),
    "all": lambda request: Response("Já", 203, None, None, "text/html", "iso-8859-1",
                                    {"X-Positional": "yes"}),
    "mixed": lambda request: request.Response("mixed", headers={"X-Mixed": "1"}, code=206),
}


def positional(request):
    return POSITIONAL[request.match_dict["case"]](request)


def positional_twice(request):
    try:
        request.Response("a", text="b")
    except TypeError as exc:
        return request.Response(json={"type": type(exc).__name__, "message": str(exc)})
    return request.Response(code=500, text="no exception")


r.add_route("/json/match/{a}/{b}", as_json_match)
r.add_route("/json/{attr}", as_json)
r.add_route("/seen/{attr}", seen)
r.add_route("/nested/{attr}", nested)
r.add_route("/keys", keys)
r.add_route("/bad-key", bad_key)
r.add_route("/names", names)
r.add_route("/positional-twice", positional_twice)
r.add_route("/positional/{case}", positional)


if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
