"""idle.py: server RSS per idle keep-alive connection (target: at most 3 KiB each, see RESULTS.md).

Starts bench/apps/hello.py, opens N connections that each send one request
and read its answer, then stay open and idle; prints the server's RSS growth
per connection. Usage (from the repo root): python -m bench.idle [--connections N] [--port PORT]
"""

import argparse
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.load import wait_accepting

HERE = Path(__file__).resolve().parent


def rss(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8079)
    args = parser.parse_args()
    files = args.connections + 1000
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))  # inherited by the server
    server = subprocess.Popen([sys.executable, str(HERE / "apps" / "hello.py"), str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conns = []
    try:
        try:
            wait_accepting(args.port, server, timeout=10.0)
        except RuntimeError as exc:
            raise SystemExit(f"idle.py: {exc}") from None
        time.sleep(0.5)
        before = rss(server.pid)
        request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
        for _ in range(args.connections):
            sock = socket.create_connection(("127.0.0.1", args.port))
            sock.sendall(request)
            conns.append(sock)
        for sock in conns:
            data = b""
            while b"Hello world!" not in data:
                data += sock.recv(4096)
        time.sleep(1.0)
        after = rss(server.pid)
    finally:
        for sock in conns:
            sock.close()
        server.terminate()
        server.wait()
    per = (after - before) / args.connections / 1024
    print(f"{args.connections} idle keep-alive connections: server RSS {before / 2**20:.1f} MiB -> "
          f"{after / 2**20:.1f} MiB, {per:.2f} KiB per connection")


if __name__ == "__main__":
    main()
