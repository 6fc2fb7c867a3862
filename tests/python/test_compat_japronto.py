"""japronto apps unchanged, over a socket: request data as JSON, keys, header names, positional Response."""

import urllib.parse

import pytest
from conftest import _checked, _session_server
from rawhttp import get, post

_compat_process = _session_server("compat_data_app")


@pytest.fixture
def compat(_compat_process):
    yield from _checked(_compat_process)


def exchange_json(server, data):
    response = server.exchange(data)
    assert response.status == 200, response
    assert response.header("Content-Type") == "application/json; charset=utf-8"
    return response.json()


# ---- Response(json=request.<mapping>): the mapping the handler sees ----------------------


MULTIPART_BOUNDARY = "compat-boundary"


def multipart(parts):
    lines = []
    for disposition, body in parts:
        lines += [f"--{MULTIPART_BOUNDARY}", f"Content-Disposition: form-data; {disposition}", "",
                  body]
    return ("\r\n".join([*lines, f"--{MULTIPART_BOUNDARY}--", ""])).encode()


REQUESTS = {
    "headers": lambda path: get(path, headers=[("X-Token", "a"), ("x-token", "b"),
                                               ("accept", "*/*"), ("x-0a", "digit")]),
    "query": lambda path: get(path + "?a=1&b=x+y&a=2&c=%C3%A9&flag"),
    "form": lambda path: post(path, b"name=Ana&tag=x&tag=y",
                              headers=[("Content-Type", "application/x-www-form-urlencoded")]),
    "multipart-form": lambda path: post(path, multipart([('name="f"', "1"), ('name="f"', "2")]),
                                        headers=[("Content-Type", "multipart/form-data; "
                                                  f"boundary={MULTIPART_BOUNDARY}")]),
    "cookies": lambda path: get(path, headers=[("Cookie", 'a=1; b="x y"; a=3')]),
    # Without a multipart body request.files is None, as in japronto: a
    # multipart form without file parts gives the empty mapping.
    "files": lambda path: REQUESTS["multipart-form"](path),
}

EXPECTED = {
    "headers": {"Host": "localhost", "X-Token": "a, b", "Accept": "*/*", "X-0A": "digit"},
    "query": {"a": "2", "b": "x y", "c": "é", "flag": ""},
    "form": {"name": "Ana", "tag": "y"},
    "multipart-form": {"f": "2"},
    "cookies": {"a": "3", "b": "x y"},
    "files": {},
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_request_mappings_encode_as_the_mapping_the_handler_sees(compat, case):
    attr = case.removeprefix("multipart-")
    with compat.connect() as conn:
        for prefix in ("json", "seen", "nested"):
            conn.send(REQUESTS[case](f"/{prefix}/{attr}"))
        encoded, seen, nested = (r.json() for r in conn.read_responses(3))
    # Names in the mapping's iteration order, each with the value its [] gives.
    assert list(encoded.items()) == [tuple(pair) for pair in seen]
    assert encoded == EXPECTED[case]
    assert nested == {"value": encoded, "list": [encoded, {"again": encoded}]}


def test_match_dict_encodes(compat):
    assert exchange_json(compat, get("/json/match/x/t%C3%A9")) == {"a": "x", "b": "té"}


def test_uploaded_files_are_refused_by_name_not_with_a_bare_500(compat):
    """request.files holds UploadedFile values, whose body is bytes: not JSON (nor was japronto's File)."""
    compat.expect_traceback("Type is not JSON serializable: UploadedFile")
    body = multipart([('name="doc"; filename="a.txt"', "content")])
    response = compat.exchange(post("/json/files", body, headers=[
        ("Content-Type", f"multipart/form-data; boundary={MULTIPART_BOUNDARY}")]))
    assert response.status == 500
    assert "Type is not JSON serializable: UploadedFile" in compat.log()


# ---- non-str keys: as json.dumps writes them ---------------------------------------------


def test_non_str_keys_are_written_as_json_dumps_writes_them(compat):
    response = compat.exchange(get("/keys"))
    assert response.status == 200
    # json.dumps(..., separators=(",", ":")) of the app's table, key for key.
    assert response.body == (
        b'{"keys":{"7":"int","-7":"negative","1180591620717411303424":"big","2.5":"float",'
        b'"1e+16":"1e16","1e-05":"small","Infinity":"inf","NaN":"nan","true":"true",'
        b'"false":"false","null":"null","s":"str"},"nested":[{"0":{"1.5":null}}]}')


def test_keys_json_dumps_refuses_raise_a_type_error_that_names_them(compat):
    info = exchange_json(compat, get("/bad-key"))
    assert info["type"] == "TypeError"
    assert "dict keys must be str, int, float, bool or None" in info["message"]
    assert "not tuple: (1, 2)" in info["message"]


# ---- header names: japronto's rule ---------------------------------------------------------


@pytest.mark.parametrize("sent, shown", [
    ("x-0a", "X-0A"),           # a letter after a digit is upper case
    ("x_y", "X_Y"),             # after '_' too
    ("content-TYPE", "Content-Type"),
    ("WWW-AUTHENTICATE", "Www-Authenticate"),
    ("x.y+z~w", "X.Y+Z~W"),
    ("a1b2c", "A1B2C"),
    ("x--y", "X--Y"),
    ("9", "9"),
    ("dnt", "Dnt"),
])
def test_header_names_are_shown_as_japronto_showed_them(compat, sent, shown):
    variant = shown.swapcase()
    info = exchange_json(compat, get("/names?v=" + urllib.parse.quote(variant, safe=""),
                                     headers=[(sent, "v1"), (sent.upper(), "v2")]))
    assert info["raw"] == ["Host", shown, shown]
    assert info["names"] == ["Host", shown]
    assert info["get"] == "v1, v2" and info["in"] is True and info["getall"] == ["v1", "v2"]


# ---- positional arguments: japronto's order -------------------------------------------------


@pytest.mark.parametrize("case, status, content_type, body, header", [
    ("text", 200, "text/plain; charset=utf-8", b"hi", None),
    ("text-code", 404, "text/plain; charset=utf-8", b"not here", None),
    ("body", 201, "application/octet-stream", b"\x00raw", None),
    ("json", 202, "application/json; charset=utf-8", b'{"a":[1,2]}', None),
    ("all", 203, "text/html; charset=iso-8859-1", "Já".encode("latin-1"),
     ("X-Positional", "yes")),
    ("mixed", 206, "text/plain; charset=utf-8", b"mixed", ("X-Mixed", "1")),
])
def test_positional_arguments_in_japrontos_order(compat, case, status, content_type, body, header):
    response = compat.exchange(get(f"/positional/{case}"))
    assert response.status == status
    assert response.header("Content-Type") == content_type
    assert response.body == body
    if header:
        assert response.header(header[0]) == header[1]


def test_an_argument_given_by_position_and_by_name_is_a_type_error_naming_it(compat):
    info = exchange_json(compat, get("/positional-twice"))
    assert info["type"] == "TypeError"
    assert "multiple values for argument 'text'" in info["message"]
