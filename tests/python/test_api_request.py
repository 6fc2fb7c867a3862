"""Request attributes through the engine, in memory: query, Content-Type, text, json, form, files, cookies."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import chunked, get, post

_api_process = memory_session_server("api_app")


@pytest.fixture
def api(_api_process):
    yield from _checked(_api_process)


def describe(server, data):
    response = server.exchange(data)
    assert response.status == 200, response
    return response.json()


def value(info, name):
    assert "error" not in info[name], info[name]
    return info[name]["value"]


def error(info, name):
    assert "error" in info[name], info[name]
    return info[name]["error"]


def body_request(body, content_type=None, path="/describe", headers=()):
    extra = [("Content-Type", content_type)] if content_type else []
    return post(path, body, headers=[*extra, *headers])


# ---- what every request has ------------------------------------------------------


def test_basic_attributes(api):
    info = describe(api, get("/describe/one/t%C3%A9?x=1", headers=[("X-Test", "yes")]))
    assert value(info, "method") == "GET"
    assert value(info, "path") == "/describe/one/té"
    assert value(info, "version") == "1.1"
    assert value(info, "query_string") == "x=1"
    assert value(info, "match_dict") == {"a": "one", "b": "té"}
    assert value(info, "keep_alive") is True
    assert value(info, "remote_addr") == "127.0.0.1"
    assert value(info, "extra") == {}
    assert value(info, "body") is None
    assert info["route"] == "/describe/{a}/{b}"
    assert ["X-Test", "yes"] in info["headers"]


def test_request_app_is_the_application_and_the_class_is_per_app(api):
    info = describe(api, get("/describe"))
    assert info["app_is_app"] is True
    assert info["of_the_app_request_class"] is True


def test_http10_without_host(api):
    info = describe(api, get("/describe", version="1.0", host=None))
    assert value(info, "version") == "1.0"
    assert value(info, "keep_alive") is False
    assert value(info, "hostname") is None
    assert value(info, "port") is None  # japronto crashed here: int(None)


# ---- query -----------------------------------------------------------------------


def test_no_query_is_an_empty_mapping_and_query_string_none(api):
    info = describe(api, get("/describe"))
    assert value(info, "query_string") is None
    assert value(info, "query") == []


def test_bare_question_mark(api):
    info = describe(api, get("/describe?"))
    assert value(info, "query_string") == ""
    assert value(info, "query") == []


def test_query_is_decoded_with_plus_as_space_and_keeps_repeats(api):
    info = describe(api, get("/describe?a=1&b=x+y&a=%C3%A9&c&d=&e=%2B%26"))
    assert value(info, "query_string") == "a=1&b=x+y&a=%C3%A9&c&d=&e=%2B%26"
    assert value(info, "query") == [["a", "1"], ["b", "x y"], ["a", "é"], ["c", ""], ["d", ""],
                                    ["e", "+&"]]


def test_query_raw_utf8_bytes_decode_like_their_escapes(api):
    info = describe(api, "GET /describe?q=caf\u00e9&r=caf%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .encode("utf-8"))
    assert value(info, "query") == [["q", "café"], ["r", "café"]]


def test_query_invalid_utf8_becomes_replacement_characters(api):
    info = describe(api, get("/describe?q=%FF"))
    assert value(info, "query") == [["q", "\ufffd"]]


def test_query_mapping_and_getall(api):
    response = api.exchange(get("/query?a=1&b=2&a=3"))
    assert response.json() == {"a": "3", "all_a": ["1", "3"], "missing": [],
                               "missing_default": "none", "names": ["a", "b"]}


def test_query_without_a_value_for_get(api):
    assert api.exchange(get("/query?b=1")).json()["a"] is None


# ---- Content-Type -------------------------------------------------------------------


@pytest.mark.parametrize("content_type, mime_type, encoding", [
    (None, None, None),
    ("text/html; charset=ISO-8859-1", "text/html", "iso-8859-1"),
    ("Application/JSON", "application/json", None),
    ('text/plain;charset="UTF-8"', "text/plain", "utf-8"),
    ("text/plain ; format=flowed ; charset=us-ascii", "text/plain", "us-ascii"),
    ('multipart/form-data; boundary="a;b"; charset=utf-8', "multipart/form-data", "utf-8"),
])
def test_mime_type_and_encoding(api, content_type, mime_type, encoding):
    info = describe(api, body_request(b"x", content_type))
    assert value(info, "mime_type") == mime_type
    assert value(info, "encoding") == encoding


# ---- text ----------------------------------------------------------------------------


def test_text_is_utf8_by_default(api):
    info = describe(api, body_request("naïve ☃".encode()))
    assert value(info, "text") == "naïve ☃"


def test_text_uses_the_charset(api):
    info = describe(api, body_request("Já pronto!".encode("latin-1"),
                                      "text/plain; charset=iso-8859-1"))
    assert value(info, "text") == "Já pronto!"
    assert value(info, "body") == "Já pronto!"  # the bytes, shown as latin-1


def test_text_is_none_without_a_body_and_empty_for_an_empty_one(api):
    assert value(describe(api, get("/describe")), "text") is None
    assert value(describe(api, body_request(b"")), "text") == ""


def test_text_of_a_chunked_body(api):
    info = describe(api, chunked("/describe", ["héllo ".encode(), b"world"]))
    assert value(info, "text") == "héllo world"


def test_text_not_valid_in_its_charset_raises(api):
    kind, message, _ = error(describe(api, body_request(b"\xff\xfe", "text/plain")), "text")
    assert kind == "UnicodeDecodeError"
    assert "utf-8" in message


def test_text_with_an_unknown_charset_names_it(api):
    kind, message, _ = error(describe(api, body_request(b"x", "text/plain; charset=klingon")),
                             "text")
    assert kind == "LookupError"
    assert "'klingon'" in message


# ---- json ----------------------------------------------------------------------------


def test_json(api):
    info = describe(api, body_request(b'{"a": [1, 2.5, null, true], "b": "\\u00e9"}',
                                      "application/json"))
    assert value(info, "json") == {"a": [1, 2.5, None, True], "b": "é"}


def test_json_does_not_need_a_content_type(api):
    assert value(describe(api, body_request(b"[1]")), "json") == [1]


def test_json_is_none_without_a_body_or_with_an_empty_one(api):
    assert value(describe(api, get("/describe")), "json") is None
    assert value(describe(api, body_request(b"", "application/json")), "json") is None


@pytest.mark.parametrize("body, what", [
    (b"{", "unexpected end of data"),
    (b'{"a": 1,}', "trailing comma"),
    (b"[1] x", "unexpected content after document"),
    (b'"\xff"', "UTF-8"),
])
def test_invalid_json_raises_a_json_decode_error_saying_what_is_wrong(api, body, what):
    kind, message, is_json_decode_error = error(
        describe(api, body_request(body, "application/json")), "json")
    assert kind == "InvalidJSON"
    assert is_json_decode_error is True
    assert message.startswith("request body is not valid JSON: ")
    assert what in message
    assert "line 1 column" in message


def test_json_in_a_declared_charset(api):
    body = '{"city": "São Paulo"}'.encode("latin-1")
    info = describe(api, body_request(body, "application/json; charset=ISO-8859-1"))
    assert value(info, "json") == {"city": "São Paulo"}


def test_invalid_json_not_caught_is_a_500_with_the_reason_logged(api):
    api.expect_traceback("InvalidJSON: request body is not valid JSON")
    with api.connect() as conn:
        conn.send(body_request(b"{nope", path="/json-uncaught") + get("/resp/text"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    assert failed.body == b"Internal Server Error"
    assert after.body == b"Hello world!"
    assert "unhandled exception in handler for POST /json-uncaught" in api.log()


# ---- form and files ------------------------------------------------------------------

URLENCODED = "application/x-www-form-urlencoded"


def test_urlencoded_form(api):
    info = describe(api, body_request(b"name=J%C3%BAlia+M&tag=a&tag=b&empty=&flag", URLENCODED))
    assert value(info, "form") == [["name", "Júlia M"], ["tag", "a"], ["tag", "b"],
                                   ["empty", ""], ["flag", ""]]
    assert value(info, "files") is None  # as in japronto: files only for multipart


def test_urlencoded_form_in_a_declared_charset(api):
    info = describe(api, body_request(b"city=S%E3o+Paulo", URLENCODED + "; charset=iso-8859-1"))
    assert value(info, "form") == [["city", "São Paulo"]]


def test_form_and_files_are_none_for_other_bodies(api):
    for data in (body_request(b"a=1", "text/plain"), body_request(b"a=1"), get("/describe"),
                 body_request(b"{}", "application/json")):
        info = describe(api, data)
        assert value(info, "form") is None and value(info, "files") is None


def test_a_form_content_type_without_a_body_gives_an_empty_form(api):
    info = describe(api, body_request(b"", URLENCODED))
    assert value(info, "form") == [] and value(info, "files") is None
    info = describe(api, body_request(b"", "multipart/form-data; boundary=x"))
    assert value(info, "form") == [] and value(info, "files") == []


def multipart(parts, boundary="----lesto-boundary"):
    """A multipart/form-data body from (headers, data) parts."""
    out = []
    for headers, data in parts:
        out.append(f"--{boundary}\r\n".encode())
        for name, v in headers:
            out.append(f"{name}: {v}\r\n".encode())
        out.append(b"\r\n" + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def disposition(name, filename=None):
    value = f'form-data; name="{name}"'
    if filename is not None:
        value += f'; filename="{filename}"'
    return ("Content-Disposition", value)


FILE_BYTES = b"\x00\x01binary\r\n--not-a-boundary\r\n\xff"


def multipart_sample():
    return multipart([
        ([disposition("title")], "Relatório".encode()),
        ([disposition("tag")], b"a"),
        ([disposition("tag")], b"b"),
        ([disposition("upload", "café.bin"), ("Content-Type", "application/octet-stream")],
         FILE_BYTES),
        ([disposition("upload", "notes.txt"), ("Content-Type", "text/plain")], b"notes"),
        ([disposition("empty", "")], b""),
    ])


def test_multipart_fields_and_files(api):
    body, content_type = multipart_sample()
    info = describe(api, body_request(body, content_type))
    assert value(info, "mime_type") == "multipart/form-data"
    assert value(info, "form") == [["title", "Relatório"], ["tag", "a"], ["tag", "b"]]
    files = value(info, "files")
    assert [name for name, _ in files] == ["upload", "upload", "empty"]
    first, second, empty = (f for _, f in files)
    # name is the file name (japronto's File.name); the field is field_name.
    assert first == {"name": "café.bin", "filename": "café.bin", "field_name": "upload",
                     "type": "application/octet-stream",
                     "content_type": "application/octet-stream",
                     "body": FILE_BYTES.decode("latin-1")}
    assert second["filename"] == "notes.txt" and second["body"] == "notes"
    assert empty == {"name": "", "filename": "", "field_name": "empty", "type": None,
                     "content_type": None, "body": ""}


def test_uploaded_file_type_is_the_bare_media_type(api):
    body, content_type = multipart([
        ([disposition("doc", "a.txt"), ("Content-Type", "Text/Plain; charset=utf-8")], b"hi"),
    ])
    (field, f), = value(describe(api, body_request(body, content_type)), "files")
    assert (field, f["field_name"], f["name"]) == ("doc", "doc", "a.txt")
    assert (f["type"], f["content_type"]) == ("text/plain", "Text/Plain; charset=utf-8")


def test_multipart_names_as_browsers_send_them(api):
    # Names in UTF-8 (RFC 7578 5.1); old Internet Explorer's whole Windows
    # path, cut to the file name.
    body, content_type = multipart([
        ([disposition("文件", "报告.txt")], b"a"),
        ([disposition("old", "C:\\Users\\me\\report.txt")], b"b"),
    ])
    files = value(describe(api, body_request(body, content_type)), "files")
    assert [(field, f["filename"]) for field, f in files] == [("文件", "报告.txt"),
                                                              ("old", "report.txt")]


def test_a_japronto_form_handler_runs_unchanged(api):
    body, content_type = multipart([
        ([disposition("title")], b"Report"),
        ([disposition("upload", "notes.txt"), ("Content-Type", "text/plain")], b"notes"),
    ])
    with api.connect() as conn:
        conn.send(body_request(body, content_type, path="/japronto-form")
                  + body_request(b"a=1&b=2", URLENCODED, path="/japronto-form")
                  + body_request(b"a=1", "text/plain", path="/japronto-form")
                  + get("/japronto-form"))
        responses = conn.read_responses(4)
    assert [r.status for r in responses] == [200] * 4
    assert [r.body.decode() for r in responses] == [
        "title=Report\nfile upload: notes.txt text/plain 5", "a=1\nb=2", "no form", "no form"]


def test_multipart_in_a_chunked_body(api):
    body, content_type = multipart_sample()
    data = (get("/describe", [("Transfer-Encoding", "chunked"), ("Content-Type", content_type)],
                method="POST")
            + b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                       for piece in (body[:7], body[7:100], body[100:]))
            + b"0\r\n\r\n")
    info = describe(api, data)
    assert value(info, "form")[0] == ["title", "Relatório"]
    assert len(value(info, "files")) == 3


def test_multipart_field_with_its_own_charset(api):
    body, content_type = multipart([
        ([disposition("city"), ("Content-Type", "text/plain; charset=iso-8859-1")],
         "São Paulo".encode("latin-1")),
    ])
    assert value(describe(api, body_request(body, content_type)), "form") == [["city", "São Paulo"]]


@pytest.mark.parametrize("case, message", [
    ("no-boundary", "without a boundary"),
    ("truncated", "ends before its closing boundary"),
    ("garbage", "malformed multipart/form-data body"),
    ("no-disposition", "part 1 has no 'Content-Disposition: form-data; name=...' header"),
    ("no-name", "part 1 has no 'Content-Disposition: form-data; name=...' header"),
])
def test_bad_multipart_raises_form_error(api, case, message):
    body, content_type = multipart([([disposition("a")], b"1")])
    if case == "no-boundary":
        content_type = "multipart/form-data"
    elif case == "truncated":
        body = body[:-8]
    elif case == "garbage":
        body = b"this is not multipart at all"
    elif case == "no-disposition":
        body, content_type = multipart([([("X-Other", "1")], b"1")])
    elif case == "no-name":
        body, content_type = multipart([([("Content-Disposition", "form-data")], b"1")])
    info = describe(api, body_request(body, content_type))
    for name in ("form", "files"):
        kind, text, _ = error(info, name)
        assert kind == "FormError"
        assert message in text


# ---- cookies ---------------------------------------------------------------------------


@pytest.mark.parametrize("header, cookies", [
    (None, {}),
    ("a=1", {"a": "1"}),
    ("a=1; b=two words;c=3", {"a": "1", "b": "two words", "c": "3"}),
    ('city="S\\343o Paulo"; q="a\\"b"', {"city": "São Paulo", "q": 'a"b'}),
    ("token=abc==; x", {"token": "abc==", "": "x"}),
    ("a=1; a=2", {"a": "2"}),
    ("bad name=1; ok=2", {"bad name": "1", "ok": "2"}),
    ("sess=%7B%22a%22%7D", {"sess": "%7B%22a%22%7D"}),
])
def test_cookies(api, header, cookies):
    headers = [("Cookie", header)] if header is not None else []
    assert value(describe(api, get("/describe", headers)), "cookies") == cookies


def test_cookies_raw_utf8(api):
    data = "GET /describe HTTP/1.1\r\nHost: x\r\nCookie: city=São Paulo\r\n\r\n".encode()
    assert value(describe(api, data), "cookies") == {"city": "São Paulo"}


def test_cookie_set_by_a_response_comes_back_as_set(api):
    set_cookies = api.exchange(get("/resp/cookies")).header_all("Set-Cookie")
    sent = "; ".join(c.split(";")[0] for c in set_cookies)
    assert value(describe(api, get("/describe", [("Cookie", sent)])), "cookies") == {
        "hello": "world", "city": "São Paulo"}


# ---- hostname and port ------------------------------------------------------------------


@pytest.mark.parametrize("host, hostname, port", [
    ("example.com", "example.com", None),
    ("Example.COM:8080", "example.com", 8080),
    ("xn--bcher-kva.example:81", "bücher.example", 81),
    ("[::1]:8000", "::1", 8000),
    ("[::1]", "::1", None),
    ("127.0.0.1:1", "127.0.0.1", 1),
    ("host:", "host", None),
    ("host:99999", "host", None),
    ("", None, None),
])
def test_hostname_and_port(api, host, hostname, port):
    info = describe(api, get("/describe", host=host))
    assert value(info, "hostname") == hostname
    assert value(info, "port") == port


# ---- computed once, per request -------------------------------------------------------------


def test_derived_attributes_are_computed_once(api):
    data = body_request(b"[1]", "application/json", path="/twice?q=1", headers=[("Cookie", "a=1")])
    assert api.exchange(data).json() == {
        "same": {name: True for name in ("query", "mime_type", "text", "json", "form", "files",
                                         "cookies", "hostname")},
        "extra": {"mine": 1},
    }


def test_cached_values_never_reach_the_next_request(api):
    with api.connect() as conn:
        conn.send(get("/twice?a=1", [("Cookie", "a=1")]) + get("/fresh?b=2")
                  + get("/twice?c=3") + get("/fresh"))
        responses = [r.json() for r in conn.read_responses(4)]
    assert responses[1] == {"query": {"b": "2"}, "extra": {}, "cookies": {}}
    assert responses[3] == {"query": {}, "extra": {}, "cookies": {}}


def test_attributes_read_after_an_await(api):
    with api.connect() as conn:
        conn.send(body_request(b'{"k": "v"}', "application/json", path="/async?x=1")
                  + get("/async?y=2", host="api.example.com"))
        first, second = [r.json() for r in conn.read_responses(2)]
    assert first == {"query": {"x": "1"}, "json": {"k": "v"}, "hostname": "localhost"}
    assert second == {"query": {"y": "2"}, "json": None, "hostname": "api.example.com"}
