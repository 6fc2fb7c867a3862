"""load.py: the load client of the bench's own tools and the PGO training run (scripts/pgo_train.py).

Raw sockets, no HTTP library: wait until a server process accepts, then
write batches of pipelined GETs and count the answers. wrk is the load
generator for measurements (bench/run.py); this one drives servers where a
fixed amount of traffic matters more than a rate: callgrind counts
(bench/instructions.py), the PGO profile, an idle-memory probe (bench/idle.py).
For WebSockets: the opening handshake and frames, to tell that a server
upgrades (bench/ws.py; its load is bench/websocket/ws_load.cpp) and to park
idle WebSockets (bench/idle.py).
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import subprocess
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_accepting(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once 127.0.0.1:PORT accepts; RuntimeError if `proc` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not accept on port {port} within {timeout:.0f} s")


def send_batches(port: int, path: str, depth: int, batches: int, connections: int,
                 timeout: float | None = None) -> None:
    """BATCHES times: DEPTH pipelined GETs of PATH written on each of CONNECTIONS
    connections, then every answer read. RuntimeError if the server closes a
    connection."""
    batch = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() * depth
    status_line = b"HTTP/1.1 200 OK\r\n"
    conns = [socket.create_connection(("127.0.0.1", port), timeout=timeout) for _ in range(connections)]
    try:
        for _ in range(batches):
            for c in conns:
                c.sendall(batch)
            for c in conns:
                answered, tail = 0, b""
                while answered < depth:
                    chunk = c.recv(65536)
                    if not chunk:
                        raise RuntimeError(f"the server closed a connection ({path})")
                    data = tail + chunk  # a status line may straddle two reads
                    answered += data.count(status_line)
                    tail = data[1 - len(status_line):]
    finally:
        for c in conns:
            c.close()


# ---- WebSockets: the opening handshake and frames, for bench/ws.py's readiness and bench/idle.py

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"  # what browsers offer


def ws_upgrade(port: int, path: str = "/", offer: str | None = None) -> tuple[bytes, bytes]:
    """(the upgrade request, the Sec-WebSocket-Accept its 101 must carry); `offer`: a
    Sec-WebSocket-Extensions value, e.g. DEFLATE_OFFER."""
    key = base64.b64encode(os.urandom(16))
    extensions = f"Sec-WebSocket-Extensions: {offer}\r\n" if offer else ""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extensions}\r\n"
    ).encode()
    return request, base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


def read_head(sock: socket.socket, accept: bytes) -> tuple[dict[bytes, bytes], bytes]:
    """(the 101's fields, by lowercase name; the bytes after it); RuntimeError for any
    other answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"the server closed the connection during the handshake: {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = (line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    fields = {name.strip().lower(): value.strip() for name, value in lines}
    if not head.startswith(b"HTTP/1.1 101 ") or fields.get(b"sec-websocket-accept") != accept:
        raise RuntimeError(f"no WebSocket upgrade: {head[:200]!r}")
    return fields, rest


def ws_frame(payload: bytes, opcode: int = 1, compressed: bool = False) -> bytes:
    """A client's frame (masked, FIN set; RSV1 for a compressed message)."""
    first = 0x80 | (0x40 if compressed else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def parse_frame(data: bytes) -> tuple[int, bytes, bytes] | None:
    """(first byte, payload, what follows) of the server's frame at the start of `data`,
    or None while it is not all there."""
    if len(data) < 2:
        return None
    size, at = data[1] & 0x7F, 2
    if size == 126:
        if len(data) < 4:
            return None
        size, at = struct.unpack("!H", data[2:4])[0], 4
    elif size == 127:
        if len(data) < 10:
            return None
        size, at = struct.unpack("!Q", data[2:10])[0], 10
    if len(data) < at + size:
        return None
    return data[0], data[at : at + size], data[at + size :]


def read_frame(sock: socket.socket, data: bytes) -> tuple[int, bytes, bytes]:
    """(first byte, payload, what follows) of the server's next frame, `data` being
    what was already read."""
    while (frame := parse_frame(data)) is None:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        data += chunk
    return frame


def echo_batches(port: int, size: int, depth: int, batches: int, connections: int,
                 timeout: float | None = None) -> None:
    """What send_batches is for HTTP, for a WebSocket echo at /: BATCHES times, DEPTH text
    messages of SIZE bytes written on each of CONNECTIONS WebSockets, then every echo read
    and checked. RuntimeError if the server closes one or echoes something else."""
    message = b"x" * size
    batch = ws_frame(message) * depth  # one mask for all: masking in Python is slow
    conns: list[socket.socket] = []
    pending: list[bytes] = []
    try:
        for _ in range(connections):
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=timeout))
            request, accept = ws_upgrade(port)
            conns[-1].sendall(request)
            pending.append(read_head(conns[-1], accept)[1])
        for _ in range(batches):
            for c in conns:
                c.sendall(batch)
            for n, c in enumerate(conns):
                for _ in range(depth):
                    first, payload, pending[n] = read_frame(c, pending[n])
                    if first != 0x81 or payload != message:
                        raise RuntimeError(f"not the echo: first byte {first:#x}, {len(payload)} bytes")
    finally:
        for c in conns:
            c.close()
