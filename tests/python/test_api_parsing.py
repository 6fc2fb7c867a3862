"""Unit tests of the pure functions behind request attributes: no server involved."""

import json
import pickle

import pytest

from lesto.body import InvalidJSON, decode_text, parse_json
from lesto.content_type import parse_content_type, parse_header_params
from lesto.cookies import parse_cookies
from lesto.forms import FormError, UploadedFile, parse_form
from lesto.headers import Headers
from lesto.host import parse_host
from lesto.multidict import MultiDict
from lesto.query import parse_pairs, parse_query

# ---- MultiDict ----------------------------------------------------------------------------------


def test_multidict_is_a_mapping_of_last_values():
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d["a"] == "3" and d.get("b") == "2" and d.get("c") is None
    assert list(d) == ["a", "b"]
    assert len(d) == 2
    assert "a" in d and "c" not in d and 1 not in d
    assert dict(d) == {"a": "3", "b": "2"}
    assert d == {"a": "3", "b": "2"}
    assert list(d.items()) == [("a", "3"), ("b", "2")]
    with pytest.raises(KeyError):
        d["c"]


def test_multidict_keeps_every_value():
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d.getall("a") == ["1", "3"]
    assert d.getall("c") == []
    assert d.getall("c", None) == []
    assert d.getall("c", "x") == "x"
    assert d.multi_items() == [("a", "1"), ("b", "2"), ("a", "3")]
    assert repr(d) == "MultiDict([('a', '1'), ('b', '2'), ('a', '3')])"


def test_multidict_prints_as_japronto_printed_its_dict():
    # japronto's query and form were dicts; its examples format them: str()
    # shows the mapping (the last of a repeated name), repr() every pair.
    assert str(MultiDict([("a", "1"), ("b", "2"), ("a", "3")])) == "{'a': '3', 'b': '2'}"
    assert f"{MultiDict([('q', 'x')])}" == "{'q': 'x'}"
    assert str(MultiDict([])) == "{}"


def test_headers_print_as_a_dict_of_joined_values():
    headers = Headers([("X-A", "1"), ("X-A", "2"), ("Host", "h")])
    assert str(headers) == "{'X-A': '1, 2', 'Host': 'h'}"
    assert repr(headers) == "Headers([('X-A', '1'), ('X-A', '2'), ('Host', 'h')])"


def test_multidict_is_read_only():
    d = MultiDict([("a", "1")])
    with pytest.raises(TypeError):
        d["a"] = "2"
    d.multi_items().append(("b", "2"))
    assert "b" not in d


def test_empty_multidict():
    assert MultiDict() == {} and not MultiDict() and MultiDict().getall("a") == []


# ---- query --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query_string, pairs", [
    (None, []),
    ("", []),
    ("a=1", [("a", "1")]),
    ("a=1&a=2", [("a", "1"), ("a", "2")]),
    ("a=x+y&b=%2B", [("a", "x y"), ("b", "+")]),
    ("a=&b", [("a", ""), ("b", "")]),
    ("&&a=1&", [("a", "1")]),
    ("a=1;b=2", [("a", "1;b=2")]),  # '&' alone separates pairs
    ("k%20ey=v%3Dw=x", [("k ey", "v=w=x")]),
    ("a=%C3%A9", [("a", "é")]),
    ("a=caf\xc3\xa9", [("a", "café")]),  # raw UTF-8 bytes as the engine gives them
    ("a=%FF", [("a", "\ufffd")]),
    ("a=%zz", [("a", "%zz")]),
    ("a=€", [("a", "€")]),  # a str that did not come from the wire
    (b"a=1", [("a", "1")]),
])
def test_parse_query(query_string, pairs):
    assert parse_query(query_string).multi_items() == pairs


def test_parse_pairs_charset():
    assert parse_pairs(b"a=%E9", "latin-1").multi_items() == [("a", "é")]


# ---- Content-Type and other parameterised values ------------------------------------------------


@pytest.mark.parametrize("value, result", [
    (None, (None, None)),
    ("", (None, None)),
    ("text/html", ("text/html", None)),
    ("text/html; charset=ISO-8859-1", ("text/html", "iso-8859-1")),
    ("TEXT/HTML;CHARSET=UTF-8", ("text/html", "utf-8")),
    ('text/plain; charset="utf-8"', ("text/plain", "utf-8")),
    ("text/plain; charset=", ("text/plain", None)),
    ("; charset=utf-8", (None, "utf-8")),
    ("text/plain; charset=a; charset=b", ("text/plain", "b")),  # the last, as python-multipart's parser
])
def test_parse_content_type(value, result):
    assert parse_content_type(value) == result


@pytest.mark.parametrize("value, result", [
    ('form-data; name="a;b"; filename="x.txt"',
     ("form-data", {"name": "a;b", "filename": "x.txt"})),
    ('form-data; name="q\\"uote"', ("form-data", {"name": 'q"uote'})),
    # A Windows path (old Internet Explorer) is cut to the file name; a
    # backslash in a file name is kept as sent (browsers do not escape it).
    ('form-data; filename="C:\\dir\\f.txt"', ("form-data", {"filename": "f.txt"})),
    ('form-data; filename="a\\b.txt"', ("form-data", {"filename": "a\\b.txt"})),
    ("multipart/form-data; Boundary=AbC", ("multipart/form-data", {"boundary": "AbC"})),
    ("a; flag; =x", ("a", {"flag": "", "": "x"})),
    # RFC 7578 4.2: no RFC 5987 `name*=` in forms; the plain parameter counts.
    ("form-data; name=\"f\"; filename*=UTF-8''%C3%A9.txt", ("form-data", {"name": "f"})),
    # Part headers are read as UTF-8: any character comes through.
    ('form-data; name="文件"; filename="é.txt"', ("form-data", {"name": "文件", "filename": "é.txt"})),
])
def test_parse_header_params(value, result):
    assert parse_header_params(value) == result


# ---- Host ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, result", [
    (None, (None, None)),
    ("", (None, None)),
    ("example.com", ("example.com", None)),
    ("EXAMPLE.com:443", ("example.com", 443)),
    ("xn--bcher-kva.example", ("bücher.example", None)),
    ("XN--BCHER-KVA.example:8080", ("bücher.example", 8080)),
    ("www.xn--fiqs8s.xn--fiqs8s:1", ("www.中国.中国", 1)),
    ("xn--zz-not-punycode-$.example", ("xn--zz-not-punycode-$.example", None)),
    ("[::1]", ("::1", None)),
    ("[::1]:8080", ("::1", 8080)),
    ("[2001:DB8::1]:80", ("2001:db8::1", 80)),
    ("[::1]junk", ("::1", None)),
    ("[::1", ("[::1", None)),
    ("[]", (None, None)),
    ("::1", ("::1", None)),
    ("127.0.0.1:80", ("127.0.0.1", 80)),
    ("host:", ("host", None)),
    ("host:0", ("host", 0)),
    ("host:65535", ("host", 65535)),
    ("host:65536", ("host", None)),
    ("host:8o", ("host", None)),
    ("host:\u0661", ("host", None)),  # a non-ASCII digit is no port
    (":80", (None, 80)),
])
def test_parse_host(value, result):
    assert parse_host(value) == result


# ---- cookies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header, cookies", [
    (None, {}),
    ("", {}),
    ("a=1", {"a": "1"}),
    (" a = 1 ;b=2; ", {"a": "1", "b": "2"}),
    ("a=1; a=2", {"a": "2"}),
    ("flag", {"": "flag"}),
    ("a=", {"a": ""}),
    ("=", {}),
    ("a=b=c", {"a": "b=c"}),
    ('a="quoted; not split"', {"a": '"quoted', "": 'not split"'}),
    ('a="x\\"y\\\\z"', {"a": 'x"y\\z'}),
    ('a="S\\343o"', {"a": "São"}),
    ('a="', {"a": '"'}),
    ("city=S\xc3\xa3o", {"city": "São"}),  # UTF-8 bytes, as the engine gives them
    ("bad=\xff", {"bad": "\xff"}),  # not UTF-8: kept a character per byte
    ("a=%20", {"a": "%20"}),
])
def test_parse_cookies(header, cookies):
    assert parse_cookies(header) == cookies


# ---- text and JSON ------------------------------------------------------------------------------


def test_decode_text():
    assert decode_text("é".encode(), None) == "é"
    assert decode_text("é".encode("latin-1"), "iso-8859-1") == "é"
    with pytest.raises(UnicodeDecodeError):
        decode_text(b"\xff", None)
    with pytest.raises(LookupError, match="'rot13' is not a text encoding"):
        decode_text(b"x", "rot13")
    with pytest.raises(LookupError, match="'nope'"):
        decode_text(b"x", "nope")


def test_parse_json():
    assert parse_json(b'{"a": [1, null]}', None) == {"a": [1, None]}
    assert parse_json(b'"\xc3\xa9"', "utf-8") == "é"
    assert parse_json('"é"'.encode("utf-16"), "utf-16") == "é"


@pytest.mark.parametrize("body, charset, pos", [
    (b"{", None, 1),
    (b"", None, 0),
    (b"nul", None, 3),
    (b"\xff", None, 0),
    (b"\xff\xfe\x00", "utf-16", 2),
])
def test_invalid_json_is_a_json_decode_error(body, charset, pos):
    with pytest.raises(json.JSONDecodeError) as info:
        parse_json(body, charset)
    exc = info.value
    assert isinstance(exc, InvalidJSON) and isinstance(exc, ValueError)
    assert exc.msg.startswith("request body is not valid JSON: ")
    assert exc.pos == pos
    assert "line 1 column" in str(exc)
    copy = pickle.loads(pickle.dumps(exc))
    assert (type(copy), copy.msg, copy.pos) == (InvalidJSON, exc.msg, exc.pos)


# ---- forms --------------------------------------------------------------------------------------

MULTIPART = "multipart/form-data; boundary=B"


def test_urlencoded_form():
    form, files = parse_form(b"a=1&a=2&b=x+y", "application/x-www-form-urlencoded")
    assert form.multi_items() == [("a", "1"), ("a", "2"), ("b", "x y")]
    assert files is None  # japronto's files: None for a urlencoded body


@pytest.mark.parametrize("body, content_type", [
    (b"a=1", None),
    (b"a=1", ""),
    (b"a=1", "text/plain"),
    (b"a=1", "application/json"),
    (None, "application/x-www-form-urlencoded-not"),
])
def test_no_form_is_none(body, content_type):
    assert parse_form(body, content_type) == (None, None)


@pytest.mark.parametrize("body, content_type, files", [
    (None, "application/x-www-form-urlencoded", None),
    (b"", "Application/X-WWW-Form-Urlencoded; charset=klingon", None),
    (None, MULTIPART, {}),
    (b"", "multipart/form-data", {}),
])
def test_a_form_type_without_a_body_is_an_empty_form(body, content_type, files):
    assert parse_form(body, content_type) == ({}, files)


def test_multipart():
    body = (b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"r\xc3\xa9.txt\"\r\n"
            b"Content-Type: Text/Plain; charset=utf-8\r\n\r\nline\r\n\r\n"
            b"--B--\r\nepilogue is ignored")
    form, files = parse_form(body, MULTIPART)
    assert form.multi_items() == [("a", "1")]
    f = files["f"]
    assert f == UploadedFile("f", "ré.txt", "Text/Plain; charset=utf-8", b"line\r\n")
    assert repr(f) == ("UploadedFile(field_name='f', filename='ré.txt', "
                       "content_type='Text/Plain; charset=utf-8', 6 bytes)")
    # japronto's File(type, body, name): name is the file name, type the bare media type.
    assert (f.type, f.body, f.name) == ("text/plain", b"line\r\n", "ré.txt")
    assert (f.field_name, f.filename) == ("f", "ré.txt")


def test_uploaded_file_without_a_content_type_has_type_none():
    f = UploadedFile("f", "", None, b"")
    assert (f.type, f.content_type, f.name, f.filename) == (None, None, "", "")


def test_multipart_in_one_byte_writes_is_the_same():
    body = b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + b"x" * 50 + b"\r\n--B--"
    assert parse_form(body, MULTIPART)[0]["a"] == "x" * 50


def test_uploaded_file_equality():
    a = UploadedFile("f", "n", None, b"1")
    assert a == UploadedFile("f", "n", None, b"1")
    assert a != UploadedFile("f", "n", None, b"2")
    assert a != "f"
    with pytest.raises(TypeError):
        hash(a)


@pytest.mark.parametrize("body, content_type, words", [
    (b"--B\r\n\r\n", "multipart/form-data", "without a boundary"),
    (b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1", MULTIPART,
     "ends before its closing boundary --B--"),
    (b"nope", MULTIPART, "malformed multipart/form-data body"),
    (b"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--B--", MULTIPART,
     "part 1 has no"),
    ((b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
     b"--B\r\nContent-Type: text/plain\r\n\r\n2\r\n--B--"), MULTIPART, "part 2 has no"),
    (b"a=1", "application/x-www-form-urlencoded; charset=klingon", "klingon"),
    ((b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"
     b"Content-Type: text/plain; charset=klingon\r\n\r\n1\r\n--B--"), MULTIPART, "klingon"),
    (b"x", "multipart/form-data; boundary=" + "b" * 300, "malformed multipart/form-data body"),
])
def test_bad_forms_raise_form_error(body, content_type, words):
    with pytest.raises(FormError) as info:
        parse_form(body, content_type)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)
