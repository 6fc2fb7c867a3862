"""Persistent connections: keep-alive defaults, Connection: close, HTTP/1.0."""

from rawhttp import get


def test_one_connection_serves_1000_sequential_requests(handlers_server):
    with handlers_server.connect() as conn:
        for i in range(1000):
            conn.send(get(f"/sync/{i}?id={i}"))
            response = conn.read_response()
            assert response.status == 200, response
            assert response.body == f"sync {i} id={i}".encode()
            assert response.header("Content-Length") == str(len(response.body))
            assert response.header("Connection") is None, response
        assert conn.buffer == b""


def test_connection_close_is_answered_with_close_and_the_server_closes(echo_server):
    with echo_server.connect() as conn:
        conn.send(get("/", [("Connection", "close")]))
        response = conn.read_response()
        assert response.status == 200
        assert response.header("Connection") == "close"
        assert response.json()["keep_alive"] is False
        conn.assert_closed()


def test_connection_close_token_is_case_insensitive_and_found_in_a_list(echo_server):
    with echo_server.connect() as conn:
        conn.send(get("/", [("connection", "Upgrade-Insecure, CLOSE")]))
        response = conn.read_response()
        assert response.header("Connection") == "close"
        conn.assert_closed()


def test_requests_pipelined_after_connection_close_are_not_answered(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sync/1", [("Connection", "close")]) + get("/sync/2"))
        response = conn.read_response()
        assert response.body == b"sync 1 None"
        assert response.header("Connection") == "close"
        conn.assert_closed()


def test_http10_without_keep_alive_closes_after_the_response(echo_server):
    with echo_server.connect() as conn:
        conn.send(get("/", version="1.0"))
        response = conn.read_response()
        assert response.status == 200
        info = response.json()
        assert info["version"] == "1.0"
        assert info["keep_alive"] is False
        assert (response.header("Connection") or "close").lower() == "close"
        conn.assert_closed()


def test_http10_with_keep_alive_stays_open_and_says_keep_alive(echo_server):
    with echo_server.connect() as conn:
        for i in range(3):
            conn.send(get(f"/echo/{i}/x", [("Connection", "keep-alive")], version="1.0"))
            response = conn.read_response()
            assert response.status == 200
            assert response.header("Connection") == "keep-alive"
            info = response.json()
            assert info["version"] == "1.0"
            assert info["keep_alive"] is True
            assert info["match_dict"] == {"first": str(i), "second": "x"}
        # The last request drops keep-alive: that response closes the connection.
        conn.send(get("/", version="1.0"))
        response = conn.read_response()
        assert response.json()["keep_alive"] is False
        conn.assert_closed()


def test_http11_keep_alive_is_the_default(echo_server):
    with echo_server.connect() as conn:
        for _ in range(2):
            conn.send(get("/"))
            response = conn.read_response()
            assert response.json()["keep_alive"] is True
            assert response.header("Connection") is None


def test_many_connections_open_at_once_are_all_served(handlers_server):
    conns = [handlers_server.connect() for _ in range(50)]
    try:
        for i, conn in enumerate(conns):
            conn.send(get(f"/sync/{i}"))
        for i, conn in enumerate(reversed(conns)):
            n = len(conns) - 1 - i
            assert conn.read_response().body == f"sync {n} None".encode()
    finally:
        for conn in conns:
            conn.close()


def test_client_half_close_after_a_request_gets_the_response_then_eof(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sync/1"))
        conn.shutdown_write()
        responses = conn.read_responses_to_eof()
    assert [r.body for r in responses] == [b"sync 1 None"]


def test_client_half_close_while_async_requests_await_is_taken_as_leaving(handlers_server):
    # TCP cannot tell a half-close from a client that went away; like nginx,
    # Lesto takes EOF with answers still being computed as the client leaving:
    # the awaiting handlers are cancelled and nothing after them is sent.
    with handlers_server.connect() as conn:
        conn.send(get("/sync/0") + get("/sleep/400?id=1") + get("/sync/2"))
        conn.shutdown_write()
        responses = conn.read_responses_to_eof()
    assert [r.body for r in responses] == [b"sync 0 None"]


def test_client_half_close_mid_request_answers_the_complete_ones_only(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sync/1") + b"GET /sync/2 HTTP/1.1\r\nHo")
        conn.shutdown_write()
        responses = conn.read_responses_to_eof()
    assert [r.body for r in responses] == [b"sync 1 None"]


def test_client_vanishing_mid_body_leaves_the_server_serving(echo_server):
    with echo_server.connect() as conn:
        conn.send(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)
    with echo_server.connect() as conn:
        conn.send(get("/still-here"))
        assert conn.read_response().json()["path"] == "/still-here"


def test_idle_connection_is_closed_after_the_keep_alive_timeout(tight_server):
    # tight_app closes connections idle for 1 s; the client waits up to its
    # generous timeout for the close.
    with tight_server.connect() as conn:
        conn.send(get("/sync/1"))
        assert conn.read_response().body == b"sync 1 None"
        conn.assert_closed()


def test_connection_that_never_sends_is_closed_after_the_keep_alive_timeout(tight_server):
    with tight_server.connect() as conn:
        conn.assert_closed()


def test_slow_async_handler_outlasting_the_keep_alive_timeout_still_answers(tight_server):
    # A request in flight is not idleness: 2.2 s spans at least two of the
    # engine's once-a-second timeout checks, each past the 1 s keep-alive.
    with tight_server.connect() as conn:
        conn.send(get("/sleep/2200?id=slow"))
        assert conn.read_response().body == b"slept 2200 id=slow"
