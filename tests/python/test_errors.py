"""Errors: 404, 405 with Allow, handler exceptions and bad return values, malformed requests."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get, post

_memory = memory_session_server("handlers_app")


@pytest.fixture
def handlers_server(_memory):
    """apps/handlers_app.py, served in memory: how errors are answered needs no socket."""
    yield from _checked(_memory)


def test_unknown_path_is_404_and_the_connection_stays_usable(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/no/such/path") + get("/sync/1"))
        missing, after = conn.read_responses(2)
    assert missing.status == 404
    assert missing.header("Connection") is None
    assert after.status == 200 and after.body == b"sync 1 None"


def test_wrong_method_is_405_with_allow(handlers_server):
    response = handlers_server.exchange(post("/get-only", b"x"))
    assert response.status == 405
    assert response.header("Allow") == "GET"


def test_405_allow_lists_every_method_of_the_route(handlers_server):
    response = handlers_server.exchange(get("/get-or-post", method="DELETE"))
    assert response.status == 405
    allowed = [m.strip() for m in response.header("Allow").split(",")]
    assert allowed == ["GET", "POST"]


def test_route_with_methods_answers_each_of_them(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/get-or-post") + post("/get-or-post", b"") + get("/get-only"))
        responses = conn.read_responses(3)
    assert [r.body for r in responses] == [b"GET ok", b"POST ok", b"get only"]


@pytest.mark.parametrize("code", [200, 201, 202, 203, 301, 400, 401, 403, 418, 422, 429, 451,
                                  500, 503, 599])
def test_status_code_from_the_handler_is_sent(handlers_server, code):
    response = handlers_server.exchange(get(f"/status/{code}"))
    assert response.status == code
    assert response.body == f"status {code}".encode()
    assert response.reason.strip() != ""


@pytest.mark.parametrize("code", [204, 304])
def test_status_without_content_has_no_body_and_no_content_length(handlers_server, code):
    with handlers_server.connect() as conn:
        conn.send(get(f"/status/{code}") + get("/sync/after"))
        response, after = conn.read_responses(2)
    assert response.status == code
    assert response.header("Content-Length") is None
    assert after.body == b"sync after None"


def test_sync_handler_exception_is_500_and_the_server_keeps_serving(handlers_server):
    handlers_server.expect_traceback("IntentionalError: sync handler failed on purpose")
    with handlers_server.connect() as conn:
        conn.send(get("/raise") + get("/sync/1"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    assert b"IntentionalError" not in failed.body  # no traceback leaks without debug
    assert after.status == 200 and after.body == b"sync 1 None"
    assert handlers_server.exchange(get("/sync/2")).body == b"sync 2 None"


def test_async_handler_exception_is_500_in_order(handlers_server):
    handlers_server.expect_traceback("IntentionalError: async handler failed on purpose")
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/20?id=0") + get("/raise-async") + get("/sync/2"))
        responses = conn.read_responses(3)
    assert [r.status for r in responses] == [200, 500, 200]
    assert responses[0].body == b"slept 20 id=0"
    assert responses[2].body == b"sync 2 None"


def test_handler_returning_a_non_response_is_500(handlers_server):
    handlers_server.expect_traceback("instead of a Response")
    with handlers_server.connect() as conn:
        conn.send(get("/not-a-response") + get("/sync/1"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    assert after.body == b"sync 1 None"


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET / HTTP/1.1\nHost: x\n\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"v" * 70000 + b"\r\n\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
], ids=["bare-lf", "cl-and-te", "two-cl", "space-before-colon", "http2", "long-target",
        "big-header", "huge-cl", "unknown-coding"])
def test_malformed_request_gets_its_error_and_the_connection_closes(echo_server, request_bytes,
                                                                    status):
    with echo_server.connect() as conn:
        conn.send(request_bytes + get("/must-not-run"))
        response = conn.read_response()
        assert response.status == status, response
        assert response.header("Connection") == "close"
        conn.assert_closed()


def test_response_header_with_crlf_is_refused_not_sent(handlers_server):
    handlers_server.expect_traceback("'X-Injected'")
    with handlers_server.connect() as conn:
        conn.send(get("/bad-header") + get("/sync/after"))
        refused, after = conn.read_responses(2)
    assert refused.status == 500
    assert refused.header("X-Injected") is None
    assert refused.header("Set-Cookie") is None
    assert b"never sent" not in refused.body
    assert after.body == b"sync after None"
