"""memory.py: server memory while slow clients download a 1 GiB file or a 1 GiB stream.

Usage (from the repo root): python -m bench.memory [--seconds 5] [--clients 500]

Three measurements of the Lesto server's resident memory (VmRSS over its
process tree), each against the server idle just before:
- one client (curl --limit-rate 4M) reading a 1 GiB file from /static/;
- one such client reading a 1 GiB stream (async generator, 64 KiB pieces);
- `--clients` connections each downloading the 1 GiB stream and reading
  1 KiB every half second, the growth divided by the clients.
The targets (bench/README.md): under 10 MiB for each single download,
under 200 KiB per slow download.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import free_port
from bench.run import BENCH, Server


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and its descendants, in KiB."""
    pids, total = [root], 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            continue
        total += int(next(line.split()[1] for line in status.splitlines()
                          if line.startswith("VmRSS:")))
        pids += [int(c) for c in children]
    return total


def one_slow_client(server: Server, path: str, seconds: float) -> int:
    """RSS growth (KiB) while curl reads `path` at 4 MiB/s for `seconds`."""
    before = tree_rss_kib(server.proc.pid)
    url = f"http://127.0.0.1:{server.port}{path}"
    client = subprocess.Popen(["curl", "-s", "-o", "/dev/null", "--limit-rate", "4M", url])
    peak = before
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, tree_rss_kib(server.proc.pid))
        time.sleep(0.1)
    client.kill()
    client.wait()
    return peak - before


def many_slow_clients(server: Server, count: int, seconds: float) -> int:
    """RSS growth (KiB) while `count` connections each read 1 KiB of a 1 GiB stream every 0.5 s."""
    before = tree_rss_kib(server.proc.pid)
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        s.connect(("127.0.0.1", server.port))
        s.sendall(b"GET /stream-1g HTTP/1.1\r\nHost: bench\r\n\r\n")
        s.setblocking(False)
        socks.append(s)
    peak = before
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in socks:
            try:
                s.recv(1024)
            except BlockingIOError:
                pass
        peak = max(peak, tree_rss_kib(server.proc.pid))
        time.sleep(0.5)
    for s in socks:
        s.close()
    return peak - before


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lesto-bench-memory-") as files:
        with open(Path(files, "1g.bin"), "wb") as f:
            f.truncate(1 << 30)  # sparse: the page cache is not the server's RSS either way
        os.environ["BENCH_FILES"] = files
        server = Server((sys.executable, str(BENCH / "apps" / "files_app.py")), free_port(), None)
        try:
            server.wait_ready(10.0)
            file_kib = one_slow_client(server, "/static/1g.bin", args.seconds)
            stream_kib = one_slow_client(server, "/stream-1g", args.seconds)
            many_kib = many_slow_clients(server, args.clients, args.seconds)
        finally:
            server.stop()
    print("| download | server RSS growth | target |")
    print("| --- | ---: | ---: |")
    print(f"| 1 GiB file, one client at 4 MiB/s | {file_kib / 1024:.1f} MiB | 10 MiB |")
    print(f"| 1 GiB stream, one client at 4 MiB/s | {stream_kib / 1024:.1f} MiB | 10 MiB |")
    print(f"| 1 GiB stream, {args.clients} slow clients | {many_kib / args.clients:.0f} KiB each "
          f"| 200 KiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
