"""Response in memory: text/json/body, code, mime_type, encoding, headers, cookies, misuse."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get

import lesto
from lesto import Response

_api_process = memory_session_server("api_app")


@pytest.fixture
def api(_api_process):
    yield from _checked(_api_process)


# ---- what each argument puts on the wire ----------------------------------------------


@pytest.mark.parametrize("path, content_type, body", [
    ("/resp/text", "text/plain; charset=utf-8", b"Hello world!"),
    ("/resp/encoding", "text/plain; charset=iso-8859-1", "Já pronto!".encode("latin-1")),
    ("/resp/mime", "image/svg+xml; charset=utf-8", b"<svg/>"),
    ("/resp/body", "application/octet-stream", b"\xde\xad\xbe\xef"),
    ("/resp/bytearray", "application/octet-stream", b"ba"),
    ("/resp/json", "application/json; charset=utf-8", b'{"hello":"world","n":[1,2.5,null,true]}'),
    ("/resp/json-mime", "application/problem+json; charset=utf-8", b"[1]"),
    ("/resp/empty", None, b""),
])
def test_body_and_content_type(api, path, content_type, body):
    response = api.exchange(get(path))
    assert response.status == 200
    assert response.header("Content-Type") == content_type
    assert response.body == body
    assert response.header("Content-Length") == str(len(body))


@pytest.mark.parametrize("code", [200, 201, 202, 301, 308, 400, 404, 418, 422, 425, 429, 451,
                                  500, 503, 599])
def test_any_status_code(api, code):
    response = api.exchange(get(f"/resp/code/{code}"))
    assert response.status == code
    assert response.body == f"code {code}".encode()


def test_headers(api):
    response = api.exchange(get("/resp/headers"))
    assert response.header("X-Header") == "Value"
    assert response.header("Refresh") == "5; url=/"
    assert response.body == b"headers"


def test_cookies_from_a_simple_cookie(api):
    response = api.exchange(get("/resp/cookies"))
    assert response.header_all("Set-Cookie") == [
        "hello=world; Domain=localhost; Max-Age=3600; Path=/",
        'city="S\\343o Paulo"',
    ]


@pytest.mark.parametrize("path", ["/resp/bound", "/resp/unbound"])
def test_response_method_bound_or_from_the_class(api, path):
    response = api.exchange(get(path))
    assert response.status == 203
    assert response.body == path.rsplit("/", 1)[1].encode()


def test_response_method_without_a_request_says_how_to_call_it():
    with pytest.raises(TypeError, match=r"needs a request: call request\.Response\(\.\.\.\)"):
        lesto.Request.Response(text="x")
    assert repr(lesto.Request.Response) == "<method 'Response' of lesto requests>"
    assert "same arguments as lesto.Response" in lesto.Request.Response.__doc__


def test_standalone_response_built_once_serves_many_requests(api):
    with api.connect() as conn:
        conn.send(get("/resp/standalone") * 3)
        responses = conn.read_responses(3)
    for response in responses:
        assert response.status == 201
        assert response.header("X-Standalone") == "1"
        assert response.body == b"built at import"


# ---- misuse: a clear exception in the handler that wrote it --------------------------


@pytest.mark.parametrize("kind, exc_type, words", [
    ("text-and-body", "TypeError", ["only one of text=, body=, json=, stream= and file="]),
    ("text-and-json", "TypeError", ["only one of text=, body=, json=, stream= and file="]),
    ("crlf-value", "ValueError", ["header 'X-A' value", "has '\\r' at position 1"]),
    ("lf-name", "ValueError", ["header name 'X-A\\nB'", "has '\\n' at position 3"]),
    ("code-99", "ValueError", ["code=99", "100-599"]),
    ("code-600", "ValueError", ["code=600", "100-599"]),
    ("code-str", "TypeError", ["code=", "must be an int", "str"]),
    ("int-header-value", "TypeError", ["must be str", "int"]),
    ("bytes-header-name", "TypeError", ["must be str", "bytes"]),
    ("text-bytes", "TypeError", ["text=", "use body= for bytes"]),
    ("positional-and-keyword", "TypeError", ["multiple values for argument 'text'"]),
    ("nine-positional", "TypeError", ["at most 8 positional arguments", "9 given"]),
    ("unknown-kw", "TypeError", ["'txt'", "expected one of text, code, body"]),
])
def test_misuse_raises_an_exception_that_says_what_to_fix(api, kind, exc_type, words):
    info = api.exchange(get(f"/misuse/{kind}")).json()
    assert info["type"] == exc_type
    for word in words:
        assert word in info["message"]


def test_misuse_not_caught_is_a_500_and_logged(api):
    api.expect_traceback("only one of text=, body=, json=, stream= and file=")
    with api.connect() as conn:
        conn.send(get("/misuse-uncaught") + get("/resp/text"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500 and b"never" not in failed.body
    assert after.body == b"Hello world!"


@pytest.mark.parametrize("path, returned", [
    ("/not-a-response", "{'a dict': 'not a Response'}"),
    ("/not-a-response-async", "42"),
])
def test_handler_returning_a_non_response_is_500_and_logs_what_it_returned(api, path, returned):
    marker = f"handler returned {returned} instead of a Response"
    api.expect_traceback(marker)
    with api.connect() as conn:
        conn.send(get(path) + get("/resp/text"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    assert failed.body == b"Internal Server Error"
    assert after.body == b"Hello world!"
    log = api.log()
    assert f"unhandled exception in handler for GET {path}" in log
    assert marker in log


# ---- the standalone class, no server needed ------------------------------------------


def test_request_response_and_lesto_response_are_one_class():
    assert lesto.Response is lesto._native.Response


def test_response_defaults():
    response = Response()
    assert response.code == 200
    assert response.body == b""
    assert response.text == ""
    assert response.headers == {}


def test_response_reads_back_what_it_was_given():
    response = Response(code=201, text="Já", encoding="iso-8859-1", headers={"X-A": "1"})
    assert response.code == 201
    assert response.body == "Já".encode("latin-1")
    assert response.text == "Já"
    assert response.mime_type == "text/plain"
    assert response.headers == {"X-A": "1"}
    assert Response(json={"a": 1}).mime_type == "application/json"
    assert Response(body=b"x").mime_type == "application/octet-stream"
    assert Response(body=b"x", mime_type="image/png").mime_type == "image/png"
    assert repr(Response(code=404)) == "<Response 404>"


def test_response_headers_are_a_copy():
    response = Response(headers={"X-A": "1"})
    response.headers["X-B"] = "2"
    assert response.headers == {"X-A": "1"}


@pytest.mark.parametrize("kwargs, exc_type, words", [
    ({"text": "a", "body": b"b"}, TypeError, ["only one of"]),
    ({"body": b"a", "json": 1}, TypeError, ["only one of"]),
    ({"headers": {"X-A": "a\rb"}}, ValueError, ["'X-A'", "has '\\r' at position 1"]),
    ({"headers": {"X-A\r": "a"}}, ValueError, ["'X-A\\r'", "has '\\r' at position 3"]),
    ({"headers": {"": "a"}}, ValueError, ["header name is empty"]),
    ({"headers": {"X A": "a"}}, ValueError, ["'X A' has ' ' at position 1", "a token holds"]),
    ({"headers": {"Content-Length": "1"}}, ValueError, ["set by the server"]),
    ({"headers": {"X-A": None}}, TypeError, ["must be str", "NoneType"]),
    ({"headers": [("X-A", "1")]}, TypeError, ["must be a dict"]),
    ({"code": 99}, ValueError, ["100-599"]),
    ({"code": 600}, ValueError, ["100-599"]),
    ({"code": 200.0}, TypeError, ["must be an int"]),
    ({"body": "str"}, TypeError, ["bytes-like", "use text= for str"]),
    ({"mime_type": 1, "text": "a"}, TypeError, ["mime_type=", "must be str"]),
    ({"encoding": b"utf-8", "text": "a"}, TypeError, ["encoding=", "must be str"]),
    ({"encoding": "no-such-codec", "text": "a"}, LookupError, ["no-such-codec"]),
    ({"json": {1j}}, TypeError, []),
])
def test_response_misuse_messages(kwargs, exc_type, words):
    with pytest.raises(exc_type) as info:
        Response(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_positional_arguments_in_japrontos_order():
    response = Response("Já", 201, None, None, "text/html", "iso-8859-1", {"X-A": "1"})
    assert (response.code, response.mime_type, response.body, response.headers) == (
        201, "text/html", "Já".encode("latin-1"), {"X-A": "1"})
    assert Response(None, 202, b"raw").body == b"raw"
    assert Response(None, None, None, [1]).body == b"[1]"
    assert Response("x", code=404).code == 404
    assert Response.__new__(Response, "slow path", 203).code == 203


@pytest.mark.parametrize("args, kwargs, words", [
    (("a",), {"text": "b"}, ["multiple values for argument 'text'"]),
    ((None,), {"text": "b"}, ["multiple values for argument 'text'"]),  # None is still given
    (("a", 200), {"code": 201}, ["multiple values for argument 'code'"]),
    ((None,) * 8, {"cookies": None}, ["multiple values for argument 'cookies'"]),
    ((None,) * 9, {}, ["at most 8 positional arguments", "9 given"]),
    (("a", "b", b"c"), {}, ["code=", "must be an int"]),
])
def test_positional_misuse(args, kwargs, words):
    for make in (Response, lambda *a, **k: Response.__new__(Response, *a, **k)):
        with pytest.raises(TypeError) as info:
            make(*args, **kwargs)
        for word in words:
            assert word in str(info.value)


def test_status_codes_at_the_edges_are_accepted():
    assert Response(code=100).code == 100
    assert Response(code=599).code == 599
