"""Request bodies and slow clients: Content-Length, chunked, tiny writes, Expect: 100-continue."""

import base64
import hashlib
import os

from rawhttp import chunked, get, post


def echoed_body(info):
    assert info["body_b64"] is not None, info
    return base64.b64decode(info["body_b64"])


def test_request_split_into_1_to_3_byte_writes_including_the_body(echo_server):
    body = b"The body, also sent a few bytes at a time: 0123456789"
    request = post("/echo/slow/writes?x=1", body, [("X-Custom", "a value")])
    with echo_server.connect() as conn:
        conn.send_in_pieces(request)
        info = conn.read_response().json()
    assert info["method"] == "POST"
    assert info["path"] == "/echo/slow/writes"
    assert info["query_string"] == "x=1"
    assert ["X-Custom", "a value"] in info["headers"]
    assert echoed_body(info) == body


def test_chunked_request_split_into_1_to_3_byte_writes(echo_server):
    chunks = [b"first chunk ", b"2nd", b"-and-the-third-one"]
    request = chunked("/chunked", chunks, extension="ext=1", trailers=[("X-Trailer", "t")])
    with echo_server.connect() as conn:
        conn.send_in_pieces(request)
        info = conn.read_response().json()
    assert echoed_body(info) == b"".join(chunks)


def test_two_requests_sent_byte_by_byte_on_one_connection(handlers_server):
    with handlers_server.connect() as conn:
        conn.send_in_pieces(get("/sync/1?id=a") + get("/sleep/3?id=b"), sizes=(1,))
        responses = conn.read_responses(2)
    assert [r.body for r in responses] == [b"sync 1 id=a", b"slept 3 id=b"]


def test_10_megabyte_body_by_content_length(echo_server):
    body = os.urandom(10 * 1024 * 1024)
    with echo_server.connect() as conn:
        conn.send(post("/upload", body))
        info = conn.read_response().json()
        assert info["body_length"] == len(body)
        assert info["body_sha256"] == hashlib.sha256(body).hexdigest()
        # The connection is still in sync after the large body.
        conn.send(get("/after"))
        assert conn.read_response().json()["path"] == "/after"


def test_chunked_body_with_extension_and_trailer_is_decoded(echo_server):
    chunks = [b"a", b"b" * 15, b"c" * 16, b"d" * 255, b"e" * 4096, b"f" * 70000, b"g" * 3]
    request = chunked("/chunked", chunks, extension='name="quoted value"',
                      trailers=[("X-Checksum", "abc"), ("X-Other", "1")])
    with echo_server.connect() as conn:
        conn.send(request + get("/after"))
        info, after = (r.json() for r in conn.read_responses(2))
    expected = b"".join(chunks)
    assert info["method"] == "POST"
    assert info["body_length"] == len(expected)
    assert info["body_sha256"] == hashlib.sha256(expected).hexdigest()
    assert after["path"] == "/after"
    assert after["body_length"] is None


def test_chunked_body_with_uppercase_hex_sizes(echo_server):
    body = b"x" * 0xAB + b"y" * 0x1F
    request = (get("/hex", [("Transfer-Encoding", "chunked")], method="PUT")
               + b"AB\r\n" + b"x" * 0xAB + b"\r\n" + b"1F\r\n" + b"y" * 0x1F + b"\r\n0\r\n\r\n")
    info = echo_server.exchange(request).json()
    assert info["method"] == "PUT"
    assert echoed_body(info) == body


def test_empty_bodies_are_empty_bytes_and_no_body_is_none(echo_server):
    with echo_server.connect() as conn:
        conn.send(post("/empty", b"") + chunked("/empty-chunked", []) + get("/none"))
        infos = [r.json() for r in conn.read_responses(3)]
    assert [i["body_length"] for i in infos] == [0, 0, None]
    assert infos[0]["body_b64"] == "" and infos[1]["body_b64"] == ""


def test_expect_100_continue_gets_100_before_the_body_is_sent(echo_server):
    body = b"sent only after 100 Continue"
    head = get("/upload", [("Expect", "100-continue"), ("Content-Length", str(len(body)))],
               method="PUT")
    with echo_server.connect() as conn:
        conn.send(head)
        interim = conn.read_response()
        assert interim.status == 100
        assert interim.raw_head == b"HTTP/1.1 100 Continue"
        assert conn.buffer == b""  # nothing else before the body arrives
        conn.send(body)
        final = conn.read_response()
    assert final.status == 200
    assert echoed_body(final.json()) == body


def test_expect_100_continue_with_a_chunked_body(echo_server):
    chunks = [b"one", b"two-two"]
    request = chunked("/up", chunks)
    head_end = request.index(b"\r\n\r\n") + 4
    head = request[:head_end - 2] + b"Expect: 100-continue\r\n\r\n"
    with echo_server.connect() as conn:
        conn.send(head)
        assert conn.read_response().status == 100
        conn.send(request[head_end:])
        final = conn.read_response()
    assert echoed_body(final.json()) == b"onetwo-two"


def test_expect_100_continue_with_the_body_already_sent_needs_no_interim_wait(echo_server):
    # A client may send the body without waiting; the final answer must come
    # whether or not a 100 precedes it, and exactly one final response.
    body = b"eager"
    request = post("/eager", body, [("Expect", "100-continue")])
    with echo_server.connect() as conn:
        conn.send(request + get("/after"))
        final, interim = conn.read_final_response()
        after = conn.read_response()
    assert all(r.status == 100 for r in interim) and len(interim) <= 1
    assert echoed_body(final.json()) == body
    assert after.json()["path"] == "/after"


def test_expect_100_continue_with_a_too_large_body_is_refused_without_100(echo_server):
    head = get("/big", [("Expect", "100-continue"), ("Content-Length", str(16 * 1024 * 1024 + 1))],
               method="PUT")
    with echo_server.connect() as conn:
        conn.send(head)
        response = conn.read_response()
        assert response.status == 413
        assert response.header("Connection") == "close"
        conn.assert_closed()


def test_body_of_exactly_the_default_limit_is_accepted(echo_server):
    body = b"L" * (16 * 1024 * 1024)
    with echo_server.connect() as conn:
        conn.send(post("/limit", body))
        info = conn.read_response().json()
    assert info["body_length"] == len(body)
    assert info["body_sha256"] == hashlib.sha256(body).hexdigest()
