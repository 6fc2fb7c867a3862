"""A request's life after its handler: done callbacks, disconnects, access log, timeouts."""

import socket
import time

from rawhttp import TIMEOUT, get, post


def events(server):
    with server.connect() as conn:
        conn.send(get("/events"))
        return conn.read_response().json()


def wait_for_event(server, event):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if event in events(server):
            return
        time.sleep(0.05)
    raise AssertionError(f"{event!r} never happened; events: {events(server)!r}")


def test_done_callback_runs_after_the_response(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(get("/callback"))
        assert conn.read_response().body == b"with callback"
    wait_for_event(lifecycle_server, ["done", "/callback"])


def test_a_failing_callback_is_logged_and_the_others_still_run(lifecycle_server):
    lifecycle_server.expect_traceback("callback-failure-marker")
    with lifecycle_server.connect() as conn:
        conn.send(get("/failing-callback") + get("/"))
        first, second = conn.read_responses(2)
    assert (first.status, second.body) == (200, b"ok")
    wait_for_event(lifecycle_server, ["done after failure", "/failing-callback"])
    assert "callback-failure-marker" in lifecycle_server.log()


def test_disconnect_while_awaiting_cancels_the_handler_quietly(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(get("/wait/5000"))
        time.sleep(0.2)  # let the handler start awaiting
    wait_for_event(lifecycle_server, ["cancelled", "/wait/5000"])
    wait_for_event(lifecycle_server, ["done", "/wait/5000"])
    assert ["finished", "/wait/5000"] not in events(lifecycle_server)
    assert "/wait/5000 HTTP/1.1" not in lifecycle_server.log()  # nothing was answered


def test_disconnect_cancels_a_handler_that_only_yields_bare(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(get("/spin"))
        time.sleep(0.2)  # spinning now; other clients are still served meanwhile
        assert lifecycle_server.exchange(get("/")).body == b"ok"
    wait_for_event(lifecycle_server, ["cancelled", "/spin"])
    wait_for_event(lifecycle_server, ["done", "/spin"])
    assert "/spin HTTP/1.1" not in lifecycle_server.log()  # nothing was answered


def test_half_close_answers_what_is_ready_and_cancels_what_awaits(lifecycle_server):
    # TCP cannot tell a half-close from a client that went away: like nginx,
    # Lesto takes EOF as the client leaving. Answers made without suspending
    # are sent; a handler still awaiting is cancelled.
    with lifecycle_server.connect() as conn:
        conn.send(get("/") + get("/wait/3000"))
        conn.shutdown_write()
        assert conn.read_response().body == b"ok"
        conn.assert_closed()
    wait_for_event(lifecycle_server, ["cancelled", "/wait/3000"])


def test_access_log_has_one_line_per_request(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(get("/?q=1") + get("/big/1234"))
        conn.read_responses(2)
    deadline = time.monotonic() + TIMEOUT
    while '"GET /big/1234 HTTP/1.1" 200 1234 ' not in lifecycle_server.log():
        assert time.monotonic() < deadline, lifecycle_server.log()[-2000:]
        time.sleep(0.05)
    assert 'lesto.access: 127.0.0.1 "GET / HTTP/1.1" 200 2 ' in lifecycle_server.log()


def test_header_timeout_answers_408_and_closes(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        response = conn.read_response()
        assert response.status == 408
        assert response.header("Connection") == "close"
        conn.assert_closed()


def test_body_timeout_answers_408_and_closes(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(post("/", b"0123456789")[:-4])
        response = conn.read_response()
        assert response.status == 408
        conn.assert_closed()


def test_idle_keep_alive_connection_is_closed(lifecycle_server):
    with lifecycle_server.connect() as conn:
        conn.send(get("/"))
        assert conn.read_response().status == 200
        conn.assert_closed()  # after the 2 s keep-alive timeout


def test_a_client_that_does_not_read_is_closed_after_the_write_timeout(lifecycle_server):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect((lifecycle_server.host, lifecycle_server.port))
    with sock:
        sock.sendall(get("/big/20000000"))
        time.sleep(3.5)  # the server's writes stall for longer than the 1 s write timeout
        received = 0
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except ConnectionResetError:
            pass
    assert 0 < received < 20_000_000


def test_stalled_clients_do_not_starve_others_and_are_closed_at_the_header_timeout(
    lifecycle_server,
):
    stalled = []
    try:
        for _ in range(500):
            sock = socket.create_connection((lifecycle_server.host, lifecycle_server.port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            stalled.append(sock)
        with lifecycle_server.connect() as conn:
            conn.send(get("/"))
            assert conn.read_response().body == b"ok"
        for sock in stalled:
            sock.settimeout(TIMEOUT)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    finally:
        for sock in stalled:
            sock.close()
