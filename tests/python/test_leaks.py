"""Memory: over a million mixed requests, the server's RSS settles and refcounts balance.

Driven by wrk (pipelined, every kind of request: sync, async awaiting and
not, 404, 405, handler errors, bodies, HEAD) and by clients that disconnect
mid-request or while a handler awaits. The numbers are memory, not time.
"""

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ServerProcess
from rawhttp import get

HERE = Path(__file__).parent
WRK = shutil.which("wrk")


@pytest.fixture(scope="module")
def leak_server(loop_name, server_log_dir):
    server = ServerProcess("leak_app", loop_name, server_log_dir)
    server.start()
    server.expect_traceback("leak-test-expected-failure")
    yield server
    problems = server.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def stats(server):
    # Let cancelled handlers of the disconnected clients run out first: what
    # they hold is released on the loop's next iterations, not at once.
    time.sleep(1.0)
    with server.connect() as conn:
        conn.send(get("/stats"))
        return json.loads(conn.read_response().body)


def run_wrk(server, requests):
    """wrk until at least `requests` responses; returns the total."""
    total = 0
    while total < requests:
        out = subprocess.run(
            [WRK, "-t1", "-c50", "-d3s", "-s", str(HERE / "mixed.lua"),
             f"http://{server.host}:{server.port}/"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        line = next(text for text in out.splitlines() if "requests in" in text)
        total += int(line.split()[0])
    return total


def disconnect_mid_request(server, count):
    for i in range(count):
        sock = socket.create_connection((server.host, server.port))
        if i % 2:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")  # leaves while it awaits
        else:
            sock.sendall(b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        sock.close()


@pytest.mark.skipif(WRK is None, reason="wrk is not installed (scripts/setup.sh installs it)")
def test_rss_settles_and_refcounts_balance_over_a_million_requests(leak_server):
    # Warm-up: caches, allocator arenas and buffers reach their working size.
    run_wrk(leak_server, 200_000)
    disconnect_mid_request(leak_server, 500)
    first = run_wrk(leak_server, 500_000)
    disconnect_mid_request(leak_server, 1000)
    middle = stats(leak_server)
    second = run_wrk(leak_server, 500_000)
    disconnect_mid_request(leak_server, 1000)
    end = stats(leak_server)
    assert first + second >= 1_000_000
    # Settled: the second half million adds (almost) nothing. A leak of 4
    # bytes per request would show 2 MB here.
    growth = end["rss"] - middle["rss"]
    assert growth < 2 * 1024 * 1024, f"RSS grew by {growth} bytes over the last {second} requests"
    assert end["objects"] - middle["objects"] < 1000, (middle["objects"], end["objects"])
    for name, count in middle["refcounts"].items():
        # A leaked reference per request would add hundreds of thousands.
        assert abs(end["refcounts"][name] - count) < 100, (name, count, end["refcounts"][name])
