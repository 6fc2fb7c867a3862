"""WebSockets and the server's operations: a graceful stop closes them with 1001, quiet ones
are pinged and a silent peer is closed with 1011. Each test runs `lesto ws_app:app` itself."""

import base64
import os
import signal
import socket
import struct
import time

import pytest
from conftest import HOST
from ops_helpers import LESTO, Lesto, killed_after
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


@pytest.fixture
def start(tmp_path):
    with killed_after() as started:
        def start_lesto(*flags, env=None):
            server = Lesto([*LESTO, "ws_app:app", "--host", HOST, *flags],
                           tmp_path / f"lesto-{len(started)}.log", env=env)
            started.append(server)
            return server.start()

        yield start_lesto


def test_a_graceful_stop_closes_open_websockets_with_1001(start):
    server = start("--grace-period", "10")
    with connect(f"ws://{HOST}:{server.port}/echo") as ws:
        ws.send("before")
        assert ws.recv() == "before"
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd.code == 1001
    assert server.proc.wait(timeout=20) == 0
    # Closed at the stop's start, not when the grace period ran out.
    assert time.monotonic() - started < 10
    assert not server.problems()


def test_a_quiet_websocket_is_pinged_and_a_silent_peer_closed_with_1011(start):
    server = start(env={"WS_PING": "1"})
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall((f"GET /echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        frames = data.split(b"\r\n\r\n", 1)[1]
        # Never answered: a ping within a few seconds, then the close.
        while len(frames) < 2 or frames[0] != 0x88:
            chunk = s.recv(4096)
            if not chunk:
                break
            frames += chunk
            if frames[:1] == b"\x89":  # the ping (empty payload): skip it
                frames = frames[2:]
        assert frames[:1] == b"\x88"
        while len(frames) < 4:
            frames += s.recv(100)
        assert struct.unpack("!H", frames[2:4])[0] == 1011
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=20) == 0


def test_a_peer_that_answers_pings_stays_connected(start):
    server = start(env={"WS_PING": "1"})
    with connect(f"ws://{HOST}:{server.port}/echo") as ws:  # the client answers pings itself
        time.sleep(3.5)
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=20) == 0
