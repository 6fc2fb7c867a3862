"""Response's headers, mime_type, encoding and cookies: what Response(...) refuses is what the writer refuses.

Response(...) checks each field with core's rules (the ones the writer
applies) and raises ValueError naming the field and the position of the
character at fault; what it accepts goes on the wire byte for byte. A
Response whose headers dict changes after it was built reaches the writer
unchecked: its refusal is a 500 and a line on lesto.error naming the route
and the reason, never silence.
"""

import importlib
import re
import sys

import pytest
from conftest import APPS_DIR, _checked
from memory_server import memory_session_server
from rawhttp import get

from lesto import Response

sys.path.insert(0, str(APPS_DIR))
fields_app = importlib.import_module("fields_app")
BUILDERS = fields_app.BUILDERS

_fields_process = memory_session_server("fields_app")


@pytest.fixture
def fields(_fields_process):
    yield from _checked(_fields_process)


TOKEN_RULE = "a token holds letters, digits and !#$%&'*+-.^_`|~"
VALUE_RULE = ("a field value holds tab, space, visible ASCII and bytes 0x80-0xff (obs-text), "
              "no other control character")
LATIN1_RULE = "header fields are sent as latin-1, one byte a character"

# Where each builder puts the character, and what the message calls the field.
POSITION = {"header-name": 2, "header-value": 1, "mime_type": 10, "encoding": 5,
            "cookie-name": 1, "cookie-value": 3}


def field_words(field, c):
    return {
        "header-name": f"Response(headers=...): header name {f'X-{c}B'!r}",
        "header-value": f"Response(headers=...): header 'X-A' value {f'a{c}b'!r}",
        "mime_type": f"Response(mime_type=...): {f'text/plain{c}x'!r}",
        "encoding": f"Response(encoding=...): {f'utf-8{c}'!r}",
        "cookie-name": f"Response(cookies=...): cookie {f'a{c}b'!r} renders as {f'a{c}b=v'!r}",
        "cookie-value": f"Response(cookies=...): cookie 'k' renders as {f'k=v{c}w'!r}",
    }[field]


CONTROLS = ["\r", "\n", "\x00", "\x01", "\x7f"]  # refused everywhere; HTAB only in names


def refusal(field, c):
    """The message words Response(...) must give for `c` in `field`, or None if it accepts it."""
    at = f"has {c!r} at position {POSITION[field]}; "
    if field.startswith("cookie"):  # sent as UTF-8, as browsers send cookies back
        return [field_words(field, c), at + VALUE_RULE] if c in CONTROLS else None
    if ord(c) > 0xFF:
        return [field_words(field, c), at + LATIN1_RULE]
    if field == "header-name":
        return [field_words(field, c), at + TOKEN_RULE]
    return [field_words(field, c), at + VALUE_RULE] if c in CONTROLS else None


# What an accepted character puts on the wire, in the response head: header
# fields in latin-1, Set-Cookie in UTF-8.
def wire(field, c):
    if field.startswith("cookie"):
        sent = c.encode("utf-8")
        return {"cookie-name": b"\r\nSet-Cookie: a" + sent + b"b=v\r\n",
                "cookie-value": b"\r\nSet-Cookie: k=v" + sent + b"w\r\n"}[field]
    sent = c.encode("latin-1")
    return {
        "header-value": b"\r\nX-A: a" + sent + b"b\r\n",
        "mime_type": b"\r\nContent-Type: text/plain" + sent + b"x; charset=utf-8\r\n",
        "encoding": b"\r\nContent-Type: application/json; charset=utf-8" + sent + b"\r\n",
    }[field]


CASES = [(field, c) for field in POSITION for c in CONTROLS + ["\t", "\xe9", "\u20ac"]]
CASE_IDS = [f"{field}-{ord(c):02x}" for field, c in CASES]


# ---- Response(...) alone --------------------------------------------------------------


@pytest.mark.parametrize("field, c", CASES, ids=CASE_IDS)
def test_response_refuses_what_the_writer_refuses(field, c):
    words = refusal(field, c)
    if words is None:
        BUILDERS[field](c)  # accepted
        return
    with pytest.raises(ValueError) as info:
        BUILDERS[field](c)
    for word in words:
        assert word in str(info.value)


def test_empty_header_name_and_framing_headers_are_refused():
    with pytest.raises(ValueError, match=re.escape(f"a header name is empty; {TOKEN_RULE}")):
        Response(headers={"": "1"})
    for name in ("Content-Length", "transfer-encoding"):
        with pytest.raises(ValueError, match="is set by the server from the body; remove it"):
            Response(headers={name: "1"})


def test_the_first_bad_character_is_named():
    with pytest.raises(ValueError, match=r"has '\\r' at position 3;"):
        Response(headers={"X-A": "abc\r\n\x01"})


def test_cookies_must_be_a_simple_cookie():
    with pytest.raises(TypeError, match="must be an http.cookies.SimpleCookie, not list"):
        Response(cookies=[("a", "b")])


# ---- through the engine: the same answers from a handler, the bytes of accepted values -


@pytest.mark.parametrize("field, c", CASES, ids=CASE_IDS)
def test_handler_gets_the_refusal_or_the_bytes_go_on_the_wire(fields, field, c):
    response = fields.exchange(get(f"/build/{field}/{ord(c):x}"))
    words = refusal(field, c)
    if words is None:
        assert response.status == 200
        assert wire(field, c) in response.raw_head + b"\r\n"
        return
    assert response.status == 422
    assert response.json()["type"] == "ValueError"
    for word in words:
        assert word in response.json()["message"]


def test_refusal_not_caught_is_a_500_logged_with_the_route(fields):
    marker = "unhandled exception in handler for GET /uncaught/header-value/1"
    fields.expect_traceback(marker)
    with fields.connect() as conn:
        conn.send(get("/uncaught/header-value/1") + get("/build/header-value/e9"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500 and failed.body == b"Internal Server Error"
    assert after.status == 200
    log = fields.log()
    assert marker in log
    assert "ValueError: Response(headers=...): header 'X-A' value 'a\\x01b' has '\\x01' at position 1" in log


# ---- the writer, the last line of defence ---------------------------------------------


@pytest.mark.parametrize("path", ["/changed/", "/changed-async/"])
@pytest.mark.parametrize("change, reason", [
    ("control-byte", "header 'X-Late' value 'a\\x01b': byte 0x01 at position 1 is not allowed; "
                     + VALUE_RULE),
    ("space-in-name", "header name 'X Late': byte 0x20 at position 1 is not allowed; "
                      + TOKEN_RULE),
])
def test_writer_refusal_is_a_500_and_a_log_line_with_the_route_and_the_reason(
        fields, path, change, reason):
    route = f"GET {path}{change}"
    fields.expect_traceback(f"response refused for {route}")
    with fields.connect() as conn:
        conn.send(get(path + change) + get("/build/header-value/e9"))
        refused, after = conn.read_responses(2)
    assert refused.status == 500
    assert refused.body == b"Internal Server Error\n"
    assert b"X-Late" not in refused.raw_head
    assert after.status == 200  # the connection goes on
    line = f"lesto.error: response refused for {route}, answered 500 Internal Server Error: {reason}"
    assert line in fields.log()


@pytest.mark.parametrize("change, error", [
    ("not-latin-1", "ValueError: Response header 'X-Late' (changed after the Response was built) "
                    "has '\u20ac' at position 0; " + LATIN1_RULE),
    ("not-a-str", "TypeError: Response header names and values must be str, got str: int (the "
                  "headers dict changed after the Response was built)"),
])
def test_headers_the_writer_cannot_be_given_fail_as_the_handler_would(fields, change, error):
    marker = f"unhandled exception in handler for GET /changed/{change}"
    fields.expect_traceback(marker)
    with fields.connect() as conn:
        conn.send(get(f"/changed/{change}") + get("/build/header-value/e9"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500 and failed.body == b"Internal Server Error"
    assert after.status == 200
    log = fields.log()
    assert marker in log
    assert error in log
