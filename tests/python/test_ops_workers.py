"""The master and its workers as real processes: kill -9, SIGTERM, SIGHUP, hooks, a dead master."""

import os
import signal
import socket
import sys
import time

import pytest
import rawhttp
from conftest import APPS_DIR, HOST, LOOPS
from ops_helpers import LESTO, ClientLoop, Lesto, alive, hook_lines, killed_after, wait_until

from lesto.workers import BACKOFF_MAX, backoff

GRACE = 20


@pytest.fixture
def hook_log(tmp_path):
    return tmp_path / "hooks.log"


@pytest.fixture
def start(tmp_path, hook_log):
    """start(*flags) -> a running `lesto ops_app:app --workers 2 ...`; killed after the test."""
    with killed_after() as started:
        def start_lesto(*flags, workers=2, env=None, loop="uvloop"):
            args = [*LESTO, "ops_app:app", "--host", HOST, "--workers", str(workers),
                    "--grace-period", str(GRACE), *flags]
            server = Lesto(args, tmp_path / f"lesto-{len(started)}.log",
                           env={"OPS_HOOK_LOG": str(hook_log), "LESTO_LOOP": loop, **(env or {})})
            started.append(server)
            return server.start()

        yield start_lesto


@pytest.mark.parametrize("loop", LOOPS)
def test_two_workers_each_run_the_startup_hooks_in_their_own_process(start, hook_log, loop):
    server = start(loop=loop)
    workers = server.workers(2)
    lines = hook_lines(hook_log)
    for pid in workers:
        assert f"startup-sync {pid}" in lines
        assert f"startup-async {pid}" in lines
    assert server.get("/").body == b"hello"
    assert f"(2 workers, master pid {server.pid})" in server.log()
    assert server.stop() == 0
    lines = hook_lines(hook_log)
    for pid in workers:  # the shutdown hook ran in the loop the startup hook saw
        assert f"shutdown-async same-loop=True {pid}" in lines
    assert not server.problems()


def test_kill_9_of_a_worker_clients_go_on_and_a_new_worker_serves(start):
    server = start()
    first, second = sorted(server.workers(2))
    with ClientLoop(server.port) as clients:
        clients.wait_for_count(20)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not alive(first), f"worker {first} to die")
        dead_at = time.monotonic()
        workers = wait_until(lambda: (lambda w: w if len(w) == 2 and first not in w else None)(
            server.workers()), "a new worker")
        (new,) = workers - {second}
        server.wait_for_log(f"worker {new} ready")
        # With the other worker stopped, only the new one can take connections.
        os.kill(second, signal.SIGSTOP)
        try:
            for _ in range(5):
                assert server.get("/pid").body == str(new).encode()
        finally:
            os.kill(second, signal.SIGCONT)
        count = len(clients.results)
        clients.wait_for_count(count + 20)
    # Requests started once the worker was gone all succeeded (the socket's
    # queue outlives a worker; only a connection the dead one held can fail).
    assert clients.failures(since=dead_at) == []
    assert f"worker {first} killed by SIGKILL; starting another" in server.log()
    assert server.stop() == 0


@pytest.mark.parametrize("loop", LOOPS)
def test_sigterm_finishes_received_requests_refuses_new_ones_and_exits_0(start, hook_log, loop):
    server = start(loop=loop)
    workers = server.workers(2)
    connections = []
    for _ in range(4):
        conn = server_connection(server)
        conn.send(b"GET /slow/1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        connections.append(conn)
    # The requests have been received: each handler said so.
    wait_until(lambda: sum(line.startswith("slow-start") for line in hook_lines(hook_log)) == 4,
               "the 4 slow requests to reach their handlers")
    idle = server_connection(server)  # a keep-alive connection with nothing in progress
    idle.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.read_response().body == b"hello"
    server.signal(signal.SIGTERM)
    wait_until(lambda: refused(server.port), "new connections to be refused")
    for conn in connections:
        response = conn.read_response()
        assert (response.status, response.body[:4]) == (200, b"slow")
        conn.assert_closed()  # then the connection closes
        conn.close()
    idle.assert_closed()
    assert server.wait(GRACE) == 0
    lines = hook_lines(hook_log)
    for pid in workers:
        assert f"shutdown-async same-loop=True {pid}" in lines
    assert not server.problems()


def test_a_second_sigterm_stops_without_waiting_for_the_grace_period(start, hook_log):
    server = start()
    conn = server_connection(server)
    conn.send(b"GET /slow/60000 HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_until(lambda: "slow-start" in hook_log.read_text(), "the slow request to start")
    server.signal(signal.SIGTERM)
    server.wait_for_log("stopping 2 worker(s) gracefully")
    server.signal(signal.SIGTERM)
    assert server.wait(GRACE) == 0  # well before the handler's minute, and before GRACE
    # Cut short, the request is answered 503 in place of its answer.
    assert conn.read_response().status == 503
    conn.assert_closed()
    conn.close()
    assert "SIGTERM again" in server.log()


def test_sighup_replaces_every_worker_without_a_failed_request(start):
    server = start()
    old = server.workers(2)
    with ClientLoop(server.port) as one, ClientLoop(server.port) as two:
        one.wait_for_count(20)
        server.signal(signal.SIGHUP)
        server.wait_for_log("workers replaced")
        new = server.workers(2)
        count = len(one.results) + len(two.results)
        wait_until(lambda: len(one.results) + len(two.results) >= count + 40,
                   "more requests after the swap")
    assert not new & old
    assert one.failures() == [] and two.failures() == []
    answered_by = set(one.bodies() + two.bodies())
    assert {str(pid) for pid in new} >= answered_by - {str(pid) for pid in old}
    assert set(one.bodies()[-5:]) <= {str(pid) for pid in new}
    assert server.stop() == 0
    assert not server.problems()


def test_the_master_exits_1_when_a_worker_cannot_start(start, tmp_path):
    server = Lesto([*LESTO, "ops_app:app", "--host", HOST, "--workers", "2"],
                   tmp_path / "boot.log", env={"OPS_FAIL_STARTUP": "1"})
    server.start(wait_for=None)
    assert server.wait() == 1
    log = server.log()
    assert "startup hook failed: not serving" in log
    assert "startup-failure-marker" in log
    assert "before serving: stopping" in log


def test_workers_stop_when_the_master_is_killed(start):
    server = start()
    workers = server.workers(2)
    server.signal(signal.SIGKILL)
    server.wait()
    for pid in workers:
        wait_until(lambda pid=pid: not alive(pid), f"worker {pid} to stop")
    assert "the master process is gone: stopping" in server.log()


def test_one_supervised_worker_is_restarted_too(start):
    server = start(workers=1)
    (worker,) = server.workers(1)
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: (lambda w: len(w) == 1 and worker not in w)(server.workers()),
               "a new worker")
    assert server.get("/").body == b"hello"
    assert server.stop() == 0


def test_in_process_server_stops_gracefully_on_sigterm(tmp_path, hook_log):
    server = Lesto([sys.executable, str(APPS_DIR / "ops_app.py")], tmp_path / "single.log",
                   env={"OPS_HOOK_LOG": str(hook_log)}, port_arg=False)
    server.args.append(str(server.port))
    server.start()
    assert server.workers() == set()  # no master: this process serves
    conn = server_connection(server)
    conn.send(b"GET /slow/1000 HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_until(lambda: any(line.startswith("slow-start") for line in hook_lines(hook_log)),
               "the slow request to reach its handler")
    server.signal(signal.SIGTERM)
    assert conn.read_response().body.startswith(b"slow")
    conn.assert_closed()
    conn.close()
    assert server.wait() == 0
    assert f"shutdown-async same-loop=True {server.pid}" in hook_lines(hook_log)


def test_a_worker_that_keeps_crashing_is_restarted_later_each_time(start):
    server = start(workers=1)
    pids = set()
    for n in range(1, 4):
        (worker,) = server.workers(1)
        pids.add(worker)
        server.wait_for_log(f"worker {worker} ready")
        with rawhttp.Connection(HOST, server.port) as conn:
            conn.send(rawhttp.get("/crash"))
            conn.read_to_eof()
        wait_until(lambda worker=worker: (lambda w: len(w) == 1 and worker not in w)(
            server.workers()), "a new worker")
        delay = backoff(n)
        assert f"worker {worker} exited with code 3; starting another in {delay:.1f} s" \
            in server.log()
    assert len(pids) == 3
    assert server.get("/").body == b"hello"
    assert server.stop() == 0


def test_backoff_grows_to_a_bound():
    delays = [backoff(n) for n in range(12)]
    assert delays[0] == 0 and delays[1] > 0
    assert delays == sorted(delays)
    assert delays[-1] == BACKOFF_MAX


def server_connection(server):
    return rawhttp.Connection(HOST, server.port)


def refused(port):
    try:
        socket.create_connection((HOST, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False
