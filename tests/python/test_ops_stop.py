"""Stopping at any moment: a signal during start-up, and requests the grace period cuts short.

Every test runs `lesto ops_app:app` as a real process, in one process
("single") and as a master with workers ("workers"), sends the signal at a
moment of start-up that a hook log or the port itself shows, and asserts
the exit code. Where in start-up a signal lands varies from run to run;
every outcome must be a graceful stop with exit 0.
"""

import signal
import socket

import pytest
import rawhttp
from conftest import HOST
from ops_helpers import LESTO, SERVING, Lesto, hook_lines, killed_after, wait_until

MODES = {"single": [], "workers": ["--workers", "2"]}
SIGNALS = (signal.SIGTERM, signal.SIGINT)


@pytest.fixture
def hook_log(tmp_path):
    return tmp_path / "hooks.log"


@pytest.fixture
def start(tmp_path, hook_log):
    """start(mode, *flags, env=) -> a `lesto ops_app:app` process, not waited for."""
    with killed_after() as started:
        def start_lesto(mode, *flags, env=None):
            args = [*LESTO, "ops_app:app", "--host", HOST, *MODES[mode], *flags]
            server = Lesto(args, tmp_path / f"lesto-{len(started)}.log",
                           env={"OPS_HOOK_LOG": str(hook_log), **(env or {})})
            started.append(server)
            return server.start(wait_for=None)

        yield start_lesto


def hooks_seen(hook_log, event, count=1):
    """Wait until `event` was logged `count` times; the pids that logged it."""
    def seen():
        pids = [line.split()[-1] for line in hook_lines(hook_log) if line.startswith(event)]
        return pids if len(pids) >= count else None

    return wait_until(seen, f"{count} x {event!r} in the hook log")


def accepts(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def assert_stopped_cleanly(server):
    assert server.wait() == 0, server.log()
    assert not server.problems()


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_the_moment_the_port_accepts_stops_with_exit_0(start, mode):
    # The port accepts once the socket listens: before the worker's loop (or
    # the master's) exists. Ten tries land at different moments after that.
    for _ in range(10):
        server = start(mode)
        port = server.port
        wait_until(lambda: accepts(port), "the port to accept", interval=0.001)  # noqa: B023
        server.signal(signal.SIGTERM)
        assert_stopped_cleanly(server)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("mode", MODES)
def test_a_signal_while_the_app_is_imported_stops_before_binding(start, hook_log, mode, sig):
    server = start(mode, env={"OPS_SLOW_IMPORT": "2"})
    hooks_seen(hook_log, "import-begin")
    server.signal(sig)
    assert_stopped_cleanly(server)
    assert not any(line.startswith("startup") for line in hook_lines(hook_log))
    assert SERVING not in server.log()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("mode", MODES)
def test_a_signal_during_a_slow_startup_hook_stops_without_serving(start, hook_log, mode, sig):
    workers = 2 if mode == "workers" else 1
    server = start(mode, env={"OPS_SLOW_STARTUP": "2"})
    pids = hooks_seen(hook_log, "startup-begin", workers)
    server.signal(sig)
    assert_stopped_cleanly(server)
    # The hooks finished, then the shutdown hooks ran; nothing was served.
    lines = hook_lines(hook_log)
    for pid in pids:
        assert f"startup-async {pid}" in lines
        assert f"shutdown-async same-loop=True {pid}" in lines
    assert SERVING not in server.log()
    assert not accepts(server.port)


@pytest.mark.parametrize("mode", MODES)
def test_a_second_signal_cancels_a_slow_startup_hook(start, hook_log, mode):
    workers = 2 if mode == "workers" else 1
    server = start(mode, env={"OPS_SLOW_STARTUP": "60"})
    pids = hooks_seen(hook_log, "startup-begin", workers)
    server.signal(signal.SIGTERM)
    server.wait_for_log("during start-up")
    server.signal(signal.SIGTERM)
    assert_stopped_cleanly(server)  # well before the hook's minute
    # A start-up cut short gets no shutdown hooks, as one whose hook raised.
    lines = hook_lines(hook_log)
    for pid in pids:
        assert f"startup-async {pid}" not in lines
        assert f"shutdown-async same-loop=True {pid}" not in lines


def test_a_signal_right_after_serving_began_is_a_normal_graceful_stop(start):
    server = start("single")
    server.wait_for_log(SERVING)
    assert server.get("/").body == b"hello"
    server.signal(signal.SIGTERM)
    assert_stopped_cleanly(server)


# ---- the end of the grace period ----------------------------------------------------


def slow_request_cut_short(start, hook_log, mode, requests):
    """Send `requests` on one connection to a server with a 1 s grace period; SIGTERM once
    every /slow one reached its handler. Returns (server, connection)."""
    server = start(mode, "--grace-period", "1")
    server.wait_for_log(SERVING)
    conn = rawhttp.Connection(HOST, server.port)
    conn.send(b"".join(requests))
    hooks_seen(hook_log, "slow-start", sum(b"/slow/" in r for r in requests))
    server.signal(signal.SIGTERM)
    return server, conn


@pytest.mark.parametrize("mode", MODES)
def test_a_request_still_running_when_the_grace_period_ends_gets_503(start, hook_log, mode):
    server, conn = slow_request_cut_short(start, hook_log, mode, [rawhttp.get("/slow/60000")])
    with conn:
        response = conn.read_response()
        assert response.status == 503
        assert response.header("Connection") == "close"
        assert response.header("Retry-After") == "1"
        conn.assert_closed()
    hooks_seen(hook_log, "slow-cancelled")
    assert_stopped_cleanly(server)
    assert "grace period over: 1 request(s) answered 503" in server.log()


def test_requests_pipelined_behind_the_503_get_nothing_and_are_cancelled(start, hook_log):
    # The first unanswered request gets the 503 with Connection: close; no
    # answer may follow a close (RFC 9112 9.6), not even one that is ready:
    # the client retries the rest on a new connection.
    requests = [rawhttp.get("/slow/60000"), rawhttp.get("/"), rawhttp.get("/slow/60000")]
    server, conn = slow_request_cut_short(start, hook_log, "single", requests)
    with conn:
        response = conn.read_response()
        assert (response.status, response.header("Connection")) == (503, "close")
        conn.assert_closed()
    hooks_seen(hook_log, "slow-cancelled", 2)
    assert_stopped_cleanly(server)


def test_answers_ready_before_the_running_request_are_sent_before_its_503(start, hook_log):
    requests = [rawhttp.get("/"), rawhttp.get("/slow/60000")]
    server, conn = slow_request_cut_short(start, hook_log, "single", requests)
    with conn:
        first, second = conn.read_responses(2)
        assert (first.status, first.body) == (200, b"hello")
        assert (second.status, second.header("Retry-After")) == (503, "1")
        conn.assert_closed()
    assert_stopped_cleanly(server)
