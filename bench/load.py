"""load.py: the load client of the bench's own tools and the PGO training run (scripts/pgo_train.py).

Raw sockets, no HTTP library: wait until a server process accepts, then
write batches of pipelined GETs and count the answers. wrk is the load
generator for measurements (bench/run.py); this one drives servers where a
fixed amount of traffic matters more than a rate: callgrind counts
(bench/instructions.py), the PGO profile, an idle-memory probe (bench/idle.py).
"""

from __future__ import annotations

import socket
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
