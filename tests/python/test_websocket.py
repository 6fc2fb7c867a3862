"""WebSocket routes over real sockets: the handshake, messages both ways, close codes, limits,
backpressure, driven by the `websockets` library's client and by raw bytes."""

import base64
import os
import socket
import struct
import time

import pytest
from rawhttp import get
from records import fetch_record, fresh_id, wait_record
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def url(server, path):
    return f"ws://{server.host}:{server.port}{path}"


def handshake(path, key=None, extra=""):
    key = key or base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode()


def masked_frame(opcode, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


def read_until(sock, marker, limit=1 << 20):
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        assert len(data) < limit
    return data


# ---- messages ---------------------------------------------------------------------------


def test_text_and_binary_messages_come_back_as_sent(ws_server):
    with connect(url(ws_server, "/echo")) as ws:
        ws.send("héllo")
        assert ws.recv() == "héllo"
        ws.send(b"\x00\xffbinary")
        assert ws.recv() == b"\x00\xffbinary"
        ws.send("")
        assert ws.recv() == ""


def test_a_fragmented_message_arrives_whole(ws_server):
    with connect(url(ws_server, "/echo")) as ws:
        ws.send(["frag", "ments ", "joined"])
        assert ws.recv() == "fragments joined"


def test_a_large_message_round_trips(ws_server):
    payload = os.urandom(600 * 1024)
    with connect(url(ws_server, "/echo"), max_size=None) as ws:
        ws.send(payload)
        assert ws.recv() == payload


def test_compression_is_agreed_and_messages_still_round_trip(ws_server):
    with connect(url(ws_server, "/echo")) as ws:  # the client offers permessage-deflate
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        text = "compressible " * 5000
        ws.send(text)
        assert ws.recv() == text


def test_without_compression_offered_none_is_agreed(ws_server):
    with connect(url(ws_server, "/echo"), compression=None) as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        ws.send("plain")
        assert ws.recv() == "plain"


def test_a_ping_is_answered(ws_server):
    with connect(url(ws_server, "/echo")) as ws:
        assert ws.ping(b"are you there").wait(5)


def test_many_messages_in_flight_come_back_in_order(ws_server):
    with connect(url(ws_server, "/echo")) as ws:
        for i in range(200):
            ws.send(f"m{i}")
        assert [ws.recv() for _ in range(200)] == [f"m{i}" for i in range(200)]


# ---- the handshake --------------------------------------------------------------------------


def test_the_handler_sees_the_request_and_agrees_on_a_subprotocol(ws_server):
    with connect(url(ws_server, "/about/lobby?pick=chat&x=1"), subprotocols=["v1", "chat"],
                 origin="http://example.com",
                 additional_headers={"Cookie": "who=ann"}) as ws:
        assert ws.subprotocol == "chat"
        assert ws.response.headers["X-Room"] == "lobby"
        seen = eval(ws.recv())  # a repr of plain literals, made by the test app
    assert seen == {"room": "lobby", "query": {"pick": "chat", "x": "1"},
                    "origin": "http://example.com", "offered": ["v1", "chat"],
                    "subprotocol": "chat", "cookie": "ann", "scheme": "http", "tls": None}


def test_a_handler_that_returns_a_response_refuses_with_it(ws_server):
    with pytest.raises(InvalidStatus) as info:
        connect(url(ws_server, "/refuse"))
    assert info.value.response.status_code == 401
    assert info.value.response.body == b"who are you?"


def test_a_handler_that_neither_accepts_nor_refuses_gives_403(ws_server):
    with pytest.raises(InvalidStatus) as info:
        connect(url(ws_server, "/ignore"))
    assert info.value.response.status_code == 403


def test_a_handler_that_raises_before_accepting_gives_500_and_a_log_line(ws_server):
    ws_server.expect_traceback("boom before accept")
    with pytest.raises(InvalidStatus) as info:
        connect(url(ws_server, "/fail-early"))
    assert info.value.response.status_code == 500


def test_a_handler_that_is_not_async_gives_500_and_says_so(ws_server):
    ws_server.expect_traceback("make it `async def handler(ws)`")
    with pytest.raises(InvalidStatus) as info:
        connect(url(ws_server, "/not-async"))
    assert info.value.response.status_code == 500
    assert "make it `async def handler(ws)`" in ws_server.log()


def test_a_handler_that_raises_after_accepting_closes_with_1011(ws_server):
    ws_server.expect_traceback("boom after accept")
    with connect(url(ws_server, "/fail-late")) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd.code == 1011


def test_the_server_closes_with_its_code_and_reason(ws_server):
    with connect(url(ws_server, "/server-close")) as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4321, "bye now")


def test_a_plain_request_to_a_websocket_route_gets_426(ws_server):
    with ws_server.connect() as conn:
        conn.send(get("/echo"))
        r = conn.read_response()
    assert r.status == 426
    assert r.header("Upgrade") == "websocket"


@pytest.mark.parametrize("request_bytes, status", [
    (handshake("/echo").replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"), 426),
    (handshake("/echo", key="c2hvcnQ="), 400),
    (handshake("/echo").replace(b"Connection: Upgrade", b"Connection: keep-alive"), 400),
    (handshake("/echo").replace(b"HTTP/1.1", b"HTTP/1.0"), 400),
], ids=["version 8", "short key", "no connection upgrade", "http/1.0"])
def test_a_broken_handshake_is_refused_with_a_reason(ws_server, request_bytes, status):
    with ws_server.connect() as conn:
        conn.send(request_bytes)
        r = conn.read_response()
    assert r.status == status
    if status == 426:
        assert r.header("Sec-WebSocket-Version") == "13"


def test_a_request_pipelined_before_the_handshake_is_answered_first(ws_server):
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.sendall(get("/plain") + handshake("/echo"))
        data = b""
        while b"Sec-WebSocket-Accept" not in data or not data.endswith(b"\r\n\r\n"):
            data += s.recv(65536)
        assert data.index(b"200 OK") < data.index(b"101 Switching Protocols")
        s.sendall(masked_frame(0x1, b"after"))
        frame = b""
        while len(frame) < 7:
            frame += s.recv(100)
        assert frame == b"\x81\x05after"


# ---- closing, limits, backpressure --------------------------------------------------------------


def test_a_client_close_reaches_the_handler_with_its_code(ws_server):
    key = fresh_id()
    with connect(url(ws_server, f"/recorded?id={key}")) as ws:
        ws.send("one")
        assert ws.recv() == "one"
        ws.close(4000, "done here")
    r = wait_record(ws_server, key, lambda r: r["finally"])
    assert r["closed"] == [4000, "done here"]
    assert r["received"] == 1


def test_a_client_that_vanishes_is_seen_as_1006(ws_server):
    key = fresh_id()
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.sendall(handshake(f"/recorded?id={key}"))
        read_until(s, b"\r\n\r\n")
    r = wait_record(ws_server, key, lambda r: r["finally"])
    assert r["closed"][0] == 1006


def test_a_protocol_error_closes_with_1002(ws_server):
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.sendall(handshake("/echo"))
        read_until(s, b"\r\n\r\n")
        s.sendall(b"\x81\x05hello")  # unmasked: clients must mask
        data = read_until(s, b"\x88")
        close = data[data.index(b"\x88"):]
        while len(close) < 4:
            close += s.recv(100)
        assert struct.unpack("!H", close[2:4])[0] == 1002


def test_invalid_utf8_text_closes_with_1007(ws_server):
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.sendall(handshake("/echo"))
        read_until(s, b"\r\n\r\n")
        s.sendall(masked_frame(0x1, b"\xff\xfe"))
        data = read_until(s, b"\x88")
        close = data[data.index(b"\x88"):]
        while len(close) < 4:
            close += s.recv(100)
        assert struct.unpack("!H", close[2:4])[0] == 1007


def test_a_message_over_the_limit_closes_with_1009(ws_server):
    with connect(url(ws_server, "/echo"), compression=None) as ws:
        ws.send(b"x" * (1024 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd.code == 1009


def test_a_client_that_never_reads_holds_the_sender_back(ws_server):
    key = fresh_id()
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(handshake(f"/flood?id={key}"))
        time.sleep(1.0)
        first = fetch_record(ws_server, key)["sent"]
        time.sleep(1.0)
        second = fetch_record(ws_server, key)["sent"]
    # The socket's buffers and the high-water mark hold a few MiB at most: the
    # handler waits in send() instead of queueing 64 KiB messages without end.
    assert second == first
    assert second * 64 * 1024 < 16 * 1024 * 1024
    r = wait_record(ws_server, key, lambda r: r["finally"])
    assert r["closed"][0] == 1006


def test_a_handler_that_does_not_receive_stops_the_reading(ws_server):
    key = fresh_id()
    with socket.create_connection((ws_server.host, ws_server.port), timeout=5) as s:
        s.sendall(handshake(f"/deaf?id={key}"))
        read_until(s, b"\r\n\r\n")
        s.setblocking(False)
        frame = masked_frame(0x2, b"y" * 65536)
        accepted = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                accepted += s.send(frame)
            except BlockingIOError:
                time.sleep(0.05)
                try:
                    accepted += s.send(frame)
                except BlockingIOError:
                    break
        # 16 queued messages, the read-ahead and the kernel's buffers: far
        # below what an unbounded reader would have taken in 3 s.
        assert accepted < 32 * 1024 * 1024
