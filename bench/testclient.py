"""testclient.py: CPU per request through lesto.testing's client against a real server, one run.

Usage (from the repo root): python -m bench.testclient [--requests 20000] [--repeat 3]

A test suite sends one request at a time and waits for the answer, so each
side is measured that way, on the bench's hello app (bench/apps/hello.py):

- server: the app served by a real server process, asked by a raw-socket
  client on one keep-alive connection; the server's CPU per request, from
  /proc (bench.run.tree_cpu_seconds), and the client's own.
- raw: the test client's raw mode (TestClient.raw), each request on its
  memory connection, in this process: its CPU per request
  (time.process_time), the engine's work and the client's together.
- httpx socket: httpx.Client over a socket to the real server: the
  client's CPU plus the server's, per request.
- httpx memory: TestClient.get, in this process.

The ratios divide figures of the same run: raw / server is the issue's
target (at most 3); httpx memory / httpx socket compares what a test using
the httpx API costs either way. Each row is the median of the rounds. The
server runs on LESTO_LOOP's loop (uvloop by default), the test client on
the loop it picks (the stdlib's unless LESTO_LOOP is set).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable

import httpx

from bench.apps.hello import hello
from bench.load import free_port
from bench.run import BENCH, Server, tree_cpu_seconds
from lesto import Application
from lesto.testing import TestClient

REQUEST = b"GET / HTTP/1.1\r\nHost: testserver\r\n\r\n"
ANSWER_END = b"Hello world!"


def app() -> Application:
    application = Application()
    application.router.add_route("/", hello)
    return application


def over_a_socket(port: int, requests: int) -> float:
    """Client CPU seconds for REQUESTS sequential requests on one keep-alive connection."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.process_time()
        for _ in range(requests):
            conn.sendall(REQUEST)
            answer = b""
            while not answer.endswith(ANSWER_END):
                chunk = conn.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed the connection")
                answer += chunk
        return time.process_time() - started


def httpx_over_a_socket(port: int, requests: int) -> float:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        client.get("/")
        started = time.process_time()
        for _ in range(requests):
            client.get("/")
        return time.process_time() - started


def measured(server: Server, run: Callable[[int, int], float], requests: int) -> tuple[float, float]:
    """(server CPU µs, client CPU µs) per request of run(port, requests)."""
    before, _ = tree_cpu_seconds(server.proc.pid)
    client_s = run(server.port, requests)
    after, _ = tree_cpu_seconds(server.proc.pid)
    return (after - before) * 1e6 / requests, client_s * 1e6 / requests


CLIENT_LOOP: list[str] = []  # the test client's loop, as it chose it


def in_memory(requests: int, use_httpx: bool) -> float:
    """CPU µs per request through the test client."""
    with TestClient(app()) as client:
        CLIENT_LOOP[:] = [type(client.server.loop).__module__.partition(".")[0]]
        client.raw(REQUEST)
        client.get("/")
        started = time.process_time()
        if use_httpx:
            for _ in range(requests):
                client.get("/")
        else:
            for _ in range(requests):
                client.raw(REQUEST)
        return (time.process_time() - started) * 1e6 / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.requests
    rounds: dict[str, list[float]] = {k: [] for k in (
        "server", "server client", "raw", "httpx socket server", "httpx socket client",
        "httpx memory")}
    server = Server((sys.executable, str(BENCH / "apps" / "hello.py")), free_port(), None)
    try:
        server.wait_ready(10.0)
        over_a_socket(server.port, 1000)  # warm-up
        for _ in range(args.repeat):
            s, c = measured(server, over_a_socket, n)
            rounds["server"].append(s)
            rounds["server client"].append(c)
            rounds["raw"].append(in_memory(n, use_httpx=False))
            s, c = measured(server, httpx_over_a_socket, n // 4)
            rounds["httpx socket server"].append(s)
            rounds["httpx socket client"].append(c)
            rounds["httpx memory"].append(in_memory(n // 4, use_httpx=True))
    finally:
        server.stop()
    med = {k: statistics.median(v) for k, v in rounds.items()}
    raw_ratios = [r / s for r, s in zip(rounds["raw"], rounds["server"])]
    httpx_socket = [s + c for s, c in zip(rounds["httpx socket server"],
                                          rounds["httpx socket client"])]
    httpx_ratios = [m / s for m, s in zip(rounds["httpx memory"], httpx_socket)]
    print(f"load average {os.getloadavg()[0]:.1f}; {n} requests a round ({n // 4} with httpx), "
          f"{args.repeat} rounds; the server's loop {os.environ.get('LESTO_LOOP', 'uvloop')}, "
          f"the test client's {CLIENT_LOOP[0]}\n")
    print("| path | CPU µs/req | ratio | round ratios | target |")
    print("|---|---:|---:|---:|---:|")
    print(f"| real server, raw socket client: server | {med['server']:.1f} | 1 | | |")
    print(f"| real server, raw socket client: client | {med['server client']:.1f} | | | |")
    print(f"| test client raw (engine + client) | {med['raw']:.1f} | "
          f"{statistics.median(raw_ratios):.2f} | {min(raw_ratios):.2f}-{max(raw_ratios):.2f} "
          f"| ≤ 3 |")
    print(f"| httpx over a socket: server + client | {statistics.median(httpx_socket):.1f} | 1 "
          f"| | |")
    print(f"| TestClient.get (engine + httpx) | {med['httpx memory']:.1f} | "
          f"{statistics.median(httpx_ratios):.2f} | {min(httpx_ratios):.2f}-"
          f"{max(httpx_ratios):.2f} | ≤ 1 |")


if __name__ == "__main__":
    main()
