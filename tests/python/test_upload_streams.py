"""stream_body=True routes: request bodies read as they arrive, paced by the handler."""

import hashlib
import os
import socket
import subprocess
import time

from rawhttp import chunked, get, post
from records import fetch_record, fresh_id, wait_record


def test_a_streamed_upload_arrives_whole(streams_server):
    data = os.urandom(3_000_000)
    with streams_server.connect() as conn:
        conn.send(post("/upload", data))
        r = conn.read_response().json()
    assert r["size"] == len(data)
    assert r["sha256"] == hashlib.sha256(data).hexdigest()
    assert r["pieces"] > 1  # pieces, not one body


def test_a_chunked_upload_streams_too(streams_server):
    pieces = [os.urandom(n) for n in (1, 70_000, 5, 300_000)]
    with streams_server.connect() as conn:
        conn.send(chunked("/upload", pieces))
        r = conn.read_response().json()
    whole = b"".join(pieces)
    assert (r["size"], r["sha256"]) == (len(whole), hashlib.sha256(whole).hexdigest())


def test_curl_uploads_a_file_through_a_streamed_route(streams_server, tmp_path):
    path = tmp_path / "up.bin"
    path.write_bytes(os.urandom(5_000_000))
    url = f"http://{streams_server.host}:{streams_server.port}/upload"
    out = subprocess.run(["curl", "-sf", "--data-binary", f"@{path}", url], capture_output=True,
                         check=True).stdout
    assert b'"size":5000000' in out
    assert hashlib.sha256(path.read_bytes()).hexdigest().encode() in out


def test_requests_behind_a_streamed_upload_are_answered_after_it(streams_server):
    with streams_server.connect() as conn:
        conn.send(post("/upload", b"x" * 100_000) + get("/plain") + post("/upload", b"yz"))
        rs = conn.read_responses(3)
    assert rs[0].json()["size"] == 100_000
    assert rs[1].body == b"plain"
    assert rs[2].json()["size"] == 2


def test_the_echo_of_a_streamed_upload(streams_server):
    data = os.urandom(1_000_000)
    with streams_server.connect() as conn:
        conn.send(post("/upload/echo", data))
        assert conn.read_response().body == data


def test_a_handler_that_reads_slowly_holds_the_client_back(streams_server):
    # The handler takes one piece every 50 ms; the client tries to send 30 MiB
    # at once. Without pacing the server would read it all into memory.
    key = fresh_id()
    total = 30 * 1024 * 1024
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    sock.connect((streams_server.host, streams_server.port))
    try:
        sock.sendall(f"POST /upload?id={key}&delay=0.05 HTTP/1.1\r\nHost: x\r\n"
                     f"Content-Length: {total}\r\n\r\n".encode())
        sock.setblocking(False)
        sent, chunk, deadline = 0, b"z" * 65536, time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
        read = fetch_record(streams_server, key)["produced"]
        # Kernel buffers on both sides (a few MiB at most) and 64 KiB read ahead.
        assert sent < 16 * 1024 * 1024, sent
        assert read < 4 * 1024 * 1024, read
    finally:
        # A reset: the server drops what its kernel buffered and sees the client gone.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        sock.close()
    # The client left: the handler is cancelled at its read, as any handler whose client leaves.
    assert wait_record(streams_server, key, lambda r: "error" in r)["error"] == "cancelled"


def test_continue_is_sent_only_when_the_handler_reads(streams_server):
    with streams_server.connect() as conn:
        conn.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        interim = conn.read_response()
        assert interim.status == 100
        conn.send(b"hello")
        assert conn.read_response().json()["size"] == 5
    with streams_server.connect() as conn:
        # Answered without reading: a final answer and no 100 (the body never comes).
        conn.send(b"POST /upload/ignored HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Connection: close\r\nExpect: 100-continue\r\n\r\n")
        r = conn.read_response()
        assert (r.status, r.body) == (200, b"not read")


def test_a_body_answered_unread_is_dropped_and_the_connection_goes_on(streams_server):
    with streams_server.connect() as conn:
        conn.send(post("/upload/ignored", b"q" * 200_000) + get("/plain"))
        rs = conn.read_responses(2)
    assert [r.body for r in rs] == [b"not read", b"plain"]


def test_request_body_in_a_streamed_route_says_what_to_use(streams_server):
    streams_server.expect_traceback("request.stream()")
    with streams_server.connect() as conn:
        conn.send(post("/upload/body", b"abc"))
        assert conn.read_response().status == 500
    assert "await request.read()" in streams_server.log()


def test_read_gives_the_whole_body_in_both_kinds_of_route(streams_server):
    with streams_server.connect() as conn:
        conn.send(post("/upload/read", b"a" * 70_000) + post("/read", b"b" * 70_000))
        rs = conn.read_responses(2)
    assert [r.body for r in rs] == [b"70000", b"70000"]


def test_a_streamed_body_above_its_limit_is_413(streams_server):
    with streams_server.connect() as conn:
        conn.send(f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {33 * 1024 * 1024}"
                  "\r\n\r\n".encode())
        r = conn.read_response()
    assert r.status == 413


def test_a_client_that_leaves_mid_upload_is_seen_by_the_handler(streams_server):
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(f"POST /upload?id={key} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
                  .encode() + b"x" * 1000)
        wait_record(streams_server, key, lambda r: r["produced"] == 1000)
    # The client left: the handler is cancelled at its read, as any handler whose client leaves.
    assert wait_record(streams_server, key, lambda r: "error" in r)["error"] == "cancelled"
