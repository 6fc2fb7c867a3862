"""Response(stream=...): chunked or declared length, order behind pipelining, backpressure, cancel."""

import socket
import subprocess
import time

import pytest
from rawhttp import get
from records import fetch_record, fresh_id, wait_record

import lesto


def pieces(n):
    return "".join(f"piece {i}\n" for i in range(n)).encode()


def test_a_stream_without_length_is_chunked(streams_server):
    with streams_server.connect() as conn:
        conn.send(get("/chunks/5"))
        r = conn.read_response()
    assert r.status == 200
    assert r.header("Transfer-Encoding") == "chunked"
    assert r.header("Content-Length") is None
    assert r.header("Content-Type") == "text/plain"
    assert r.body == pieces(5)


def test_a_sync_iterator_streams_too(streams_server):
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get(f"/sync/40?id={key}"))
        r = conn.read_response()
    assert r.body == b"x" * (40 * 64 * 1024)
    assert wait_record(streams_server, key, lambda r: r["closed"])["produced"] == 40


def test_a_declared_length_is_sent_as_content_length(streams_server):
    with streams_server.connect() as conn:
        conn.send(get("/declared/4"))
        r = conn.read_response()
        conn.send(get("/plain"))  # the connection stays usable
        assert conn.read_response().body == b"plain"
    assert r.header("Content-Length") == str(len(pieces(4)))
    assert r.header("Transfer-Encoding") is None
    assert r.body == pieces(4)


@pytest.mark.parametrize("length", [5, 1000])
def test_a_stream_breaking_its_length_closes_the_connection(streams_server, length):
    # Too many bytes: refused before they are sent; too few: the close says the body is short.
    streams_server.expect_traceback("Content-Length")
    with streams_server.connect() as conn:
        conn.send(get(f"/declared/3?length={length}") + get("/plain"))
        head = conn._take_until(b"\r\n\r\n")
        assert f"Content-Length: {length}".encode() in head
        rest = conn.read_to_eof()
    assert len(rest) < length  # cut short, and /plain never answered
    assert b"plain" not in rest
    log = streams_server.log()
    assert "Content-Length" in log


def test_responses_behind_a_stream_come_after_it_in_order(streams_server):
    with streams_server.connect() as conn:
        conn.send(get("/chunks/3") + get("/plain") + get("/chunks/2") + get("/plain"))
        rs = conn.read_responses(4)
    assert [r.body for r in rs] == [pieces(3), b"plain", pieces(2), b"plain"]


def test_a_stream_from_an_async_handler(streams_server):
    with streams_server.connect() as conn:
        conn.send(get("/plain") + get("/async") + get("/plain"))
        rs = conn.read_responses(3)
    assert [r.body for r in rs] == [b"plain", pieces(2), b"plain"]


def test_head_sends_the_head_and_never_runs_the_producer(streams_server):
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get(f"/chunks/3?id={key}", method="HEAD") + get("/plain"))
        head = conn.read_response(head_request=True)
        after = conn.read_response()
    assert head.status == 200 and head.body == b""
    assert after.body == b"plain"
    assert fetch_record(streams_server, key) is None  # the generator never started


def test_http_10_streams_end_with_the_connection(streams_server):
    with streams_server.connect() as conn:
        conn.send(get("/chunks/3", version="1.0"))
        data = conn.read_to_eof()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert body == pieces(3)


def test_a_producer_that_raises_closes_the_connection_and_is_logged(streams_server):
    streams_server.expect_traceback("the producer broke on purpose")
    with streams_server.connect() as conn:
        conn.send(get("/failing/2") + get("/plain"))
        data = conn.read_to_eof()
    assert b"piece 1\n" in data
    assert not data.endswith(b"0\r\n\r\n")  # no last chunk: the client sees it incomplete
    assert b"plain" not in data
    assert "the producer broke on purpose" in streams_server.log()


def test_a_slow_reader_holds_the_producer_back(streams_server):
    # 1 GiB on offer; a client that reads nothing gets only what the socket
    # buffers and the engine's 64 KiB of room hold.
    key = fresh_id()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect((streams_server.host, streams_server.port))
    try:
        sock.sendall(get(f"/big/1024?id={key}"))
        wait_record(streams_server, key, lambda r: r["produced"] > 0)
        time.sleep(0.5)
        stalled = fetch_record(streams_server, key)["produced"]
        time.sleep(0.3)
        assert fetch_record(streams_server, key)["produced"] == stalled  # waiting, not spinning
        # Kernel buffers: the send side autotunes up to tcp_wmem's max (4 MiB by default).
        assert stalled * 64 * 1024 < 16 * 1024 * 1024, stalled
        received = 0
        while received < 8 * 1024 * 1024:
            received += len(sock.recv(1 << 20))
        wait_record(streams_server, key, lambda r: r["produced"] > stalled)  # reading resumes it
    finally:
        sock.close()
    wait_record(streams_server, key, lambda r: r["finally"])


def test_a_client_that_leaves_cancels_an_async_producer(streams_server):
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get(f"/slow?id={key}"))
        conn._take_until(b"\r\n\r\n")
        wait_record(streams_server, key, lambda r: r["produced"] >= 3)
    r = wait_record(streams_server, key, lambda r: r["finally"])
    assert r["cancelled"]


def test_a_client_that_leaves_closes_a_sync_iterator(streams_server):
    key = fresh_id()
    sock = socket.create_connection((streams_server.host, streams_server.port))
    sock.sendall(get(f"/sync/100000?id={key}"))
    sock.recv(1000)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # a reset: the next send fails
    r = wait_record(streams_server, key, lambda r: r["closed"])
    assert r["produced"] < 100000


def lettered(n, size):
    return b"".join(bytes([ord("a") + i % 26]) * size for i in range(n))


@pytest.mark.parametrize("query", ["", "&sync=1", "&wait_at=2", "&wait_at=0", "&wait_at=5"])
def test_a_generator_that_does_not_wait_is_fed_by_the_engine(streams_server, query):
    # Without a wait the engine makes every step itself (stream_pump.cpp);
    # with one, a Task goes on from that piece. Either way: every piece in
    # order, behind and ahead of pipelined answers, a current task at every
    # piece (and a timeout held across them on 3.11), the finally run.
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get("/plain") + get(f"/eager/5?size=3000&id={key}{query}") + get("/plain"))
        rs = conn.read_responses(3)
    assert [r.body for r in rs] == [b"plain", lettered(5, 3000), b"plain"]
    assert rs[1].header("Transfer-Encoding") == "chunked"
    r = wait_record(streams_server, key, lambda r: r["finally"])
    assert r["produced"] == 5
    assert r.get("task", True)


def test_an_async_iterator_that_is_not_a_generator_streams_and_is_closed(streams_server):
    # Its aclose() may await: the pump in a Task runs it, from the start.
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get(f"/async-iterator/4?id={key}") + get("/plain"))
        rs = conn.read_responses(2)
    assert [r.body for r in rs] == [pieces(4), b"plain"]
    assert wait_record(streams_server, key, lambda r: r["closed"])["produced"] == 4


def test_a_client_that_leaves_closes_a_generator_the_engine_was_feeding(streams_server):
    # 200 pieces of 64 KiB fill the connection: the engine hands the rest to
    # a Task waiting for room, which the client's leaving cancels.
    key = fresh_id()
    sock = socket.create_connection((streams_server.host, streams_server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(get(f"/eager/200?size=65536&id={key}"))
    sock.recv(1000)
    wait_record(streams_server, key, lambda r: r["produced"] >= 2)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # a reset
    r = wait_record(streams_server, key, lambda r: r["finally"])
    assert r["produced"] < 200


def test_done_callbacks_run_once_the_stream_ends(streams_server):
    key = fresh_id()
    with streams_server.connect() as conn:
        conn.send(get(f"/callback?id={key}"))
        assert conn.read_response().body == pieces(3)
    assert wait_record(streams_server, key, lambda r: r["done"])["finally"]


def read_chunks(conn, count, timeout):
    """The first `count` chunks of a chunked response as they arrive, before it ends."""
    sock = conn.sock
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    data = data.split(b"\r\n\r\n", 1)[1]
    chunks = []
    while len(chunks) < count:
        line, sep, rest = data.partition(b"\r\n")
        size = int(line, 16) if sep else -1
        if sep and len(rest) >= size + 2:
            chunks.append(rest[:size])
            data = rest[size + 2:]
            continue
        data += sock.recv(65536)  # socket.timeout here: the piece was held back
    return chunks


@pytest.mark.parametrize("kib, count, wait", [
    (20, 1, 0), (20, 1, 0.5), (64, 1, 0.5), (64, 3, 0), (64, 3, 0.5), (100, 2, 0.5)])
def test_pieces_go_out_while_the_producer_pauses(streams_server, kib, count, wait):
    """Sent with MSG_MORE, a piece's tail waits in the kernel for the next piece;
    once the producer stops for its pause, the engine must let it go. After
    `wait`, nothing is in flight, so no ACK would push it out either."""
    with streams_server.connect() as conn:
        conn.send(get(f"/held/{kib}?count={count}&wait={wait}"))
        chunks = read_chunks(conn, count, timeout=5.0)
    assert chunks == [bytes([ord("a") + i]) * (kib * 1024) for i in range(count)]


def test_a_piece_is_not_left_for_the_kernel_to_send_later(streams_server):
    """Corked data with nothing in flight goes out only when the kernel's probe
    timer fires (200 ms or more): the engine's push must beat it. The best of
    three, so a stall of the machine does not fail the test."""
    lags = []
    for _ in range(3):
        with streams_server.connect() as conn:
            start = time.monotonic()
            conn.send(get("/held/20?wait=0.3"))
            assert read_chunks(conn, 1, timeout=5.0) == [b"a" * 20 * 1024]
            lags.append(time.monotonic() - start - 0.3)
    assert min(lags) < 0.1, f"the piece arrived {min(lags):.3f} s after it was given"


def test_server_sent_events_arrive_one_by_one_with_curl(streams_server):
    url = f"http://{streams_server.host}:{streams_server.port}/events/3"
    out = subprocess.run(["curl", "-sN", "--max-time", "10", url], capture_output=True,
                         check=True).stdout
    assert out == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


def test_stream_misuse_is_a_clear_error():
    with pytest.raises(TypeError, match="iterable"):
        lesto.Response(stream=b"bytes")
    with pytest.raises(TypeError, match="iterable"):
        lesto.Response(stream=42)
    with pytest.raises(TypeError, match="only one of"):
        lesto.Response(text="x", stream=iter([]))
    with pytest.raises(ValueError, match="set by the server"):
        lesto.Response(body=b"x", headers={"Content-Length": "1"})
    with pytest.raises(ValueError, match="digits only"):
        lesto.Response(stream=iter([]), headers={"Content-Length": "-1"})
    with pytest.raises(TypeError, match="not in memory"):
        _ = lesto.Response(stream=iter([])).body
