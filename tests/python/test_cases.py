"""The shared HTTP cases (tests/cases/*.cases) sent to a real echo server over a socket.

Every case runs over plain TCP and over TLS (the same app serving HTTPS):
the engine's TLS layer sits below the parser, which must see the same bytes.

Each case goes on a fresh connection, written whole and in seeded random
pieces. A case without `rest` is followed in the same write by AFTER, a valid
request: a complete case must be echoed as the case says and AFTER answered
next (or the connection closed, when the case does not keep it alive); an
error case must be answered with its status and `Connection: close`, and the
connection closed without AFTER ever being run. A case with `rest` is
checked by comparing what the server makes of the rest with what it makes of
the same bytes on a fresh connection.
"""

import base64
import hashlib
import json
import random
import time
import urllib.parse

import cases
import pytest

ALL_CASES = cases.load_cases()
COMPLETE = [c for c in ALL_CASES if c.complete() and c.rest is None]
WITH_REST = [c for c in ALL_CASES if c.complete() and c.rest is not None]
ERRORS = [c for c in ALL_CASES if not c.complete()]
# An error case with `rest` would leave bytes whose fate the format does not describe.
assert not any(c.rest is not None for c in ERRORS), "error cases with rest are not supported"

AFTER = b"GET /after HTTP/1.1\r\nHost: after\r\n\r\n"
MAX_PIECES = 16
ECHO_BODY_LIMIT = 64 * 1024  # apps/echo_app.py BODY_ECHO_LIMIT
MODES = ("whole", "pieces")


def by_id(case_list):
    return pytest.mark.parametrize("case", case_list, ids=[c.id() for c in case_list])


mode_param = pytest.mark.parametrize("mode", MODES)


@pytest.fixture(params=["tcp", "tls"])
def case_server(request, loop_name):
    """The echo server over plain TCP, or the same app serving HTTPS."""
    return request.getfixturevalue("echo_server" if request.param == "tcp" else "tls_echo_server")


def send(conn, data, mode, case):
    """Write `data` whole, or cut at up to MAX_PIECES seeded random points with short pauses."""
    if mode == "whole" or len(data) < 2:
        conn.send(data)
        return
    rng = random.Random(case.id())
    cuts = sorted(rng.sample(range(1, len(data)), min(MAX_PIECES - 1, len(data) - 1)))
    for a, b in zip([0, *cuts], [*cuts, len(data)]):
        conn.send(data[a:b])
        time.sleep(0.001)


def send_tolerating_close(conn, data, mode, case):
    """Send, stopping quietly if the server already closed (it may, after an early error)."""
    try:
        send(conn, data, mode, case)
    except (BrokenPipeError, ConnectionResetError):
        pass


def request_line(case):
    line = case.request.lstrip(b"\r\n").split(b"\r\n", 1)[0]
    return line.split(b" ")


def is_head(case):
    return request_line(case)[0] == b"HEAD"


def wants_continue(case):
    return b"100-continue" in case.request.lower()


def echo_of(response):
    """What the echo app saw: from the body, or from X-Echo for a HEAD."""
    assert response.status == 200, response
    encoded = response.header("X-Echo")
    if encoded is not None:
        return json.loads(base64.b64decode(encoded))
    return response.json()


def latin1(s):
    return None if s is None else s.encode("latin-1")


def check_fields(case, info):
    """The echoed request matches every field the case states."""
    if case.method is not None:
        assert latin1(info["method"]) == case.method
    if case.path is not None:
        # request.path is percent-decoded; the case gives the raw path.
        assert latin1(info["path"]) == urllib.parse.unquote_to_bytes(case.path)
    query = latin1(info["query_string"])
    if case.has_query is False:
        assert query is None
    elif case.has_query is True:
        assert query is not None
    if case.query is not None and (case.query or case.has_query):
        assert query == case.query
    if case.version_minor is not None:
        assert info["version"] == f"1.{case.version_minor}"
    if case.keep_alive is not None:
        assert info["keep_alive"] is case.keep_alive
    headers = [(latin1(n).lower(), latin1(v)) for n, v in info["headers"]]
    if case.headers is not None:
        assert headers == [(n.lower(), v) for n, v in case.headers]
    target = request_line(case)[1]
    if case.host is not None and (target.startswith(b"/") or target == b"*"):
        # The Request API has no host: for origin- and asterisk-form it is the
        # Host header. An absolute-form target's authority is not visible.
        hosts = [v for n, v in headers if n == b"host"]
        assert (hosts[0] if hosts else b"") == case.host
    if case.body is not None:
        assert info["body_length"] == len(case.body)
        assert info["body_sha256"] == hashlib.sha256(case.body).hexdigest()
        if len(case.body) <= ECHO_BODY_LIMIT:
            assert base64.b64decode(info["body_b64"]) == case.body
    # `target` and `expect_continue` have no Request attribute: the target is
    # covered by path and query, Expect: 100-continue by the wire (below).


def check_connection_header(response, info):
    connection = response.header("Connection")
    if not info["keep_alive"] and info["version"] == "1.1":
        assert connection == "close", response
    elif info["keep_alive"] and info["version"] == "1.0":
        assert connection == "keep-alive", response
    else:
        assert connection is None, response


def head_and_body(case):
    end = case.request.index(b"\r\n\r\n") + 4
    return case.request[:end], case.request[end:]


@by_id(COMPLETE)
@mode_param
def test_complete_case_is_echoed_then_the_next_request_answered(case_server, case, mode):
    with case_server.connect() as conn:
        head, body = head_and_body(case)
        if case.expect_continue and body:
            # The client waits for 100 Continue before sending the body.
            send(conn, head, mode, case)
            interim = conn.read_response()
            assert interim.status == 100, interim
            send(conn, body + AFTER, mode, case)
            response, more_interim = conn.read_final_response(head_request=is_head(case))
            assert more_interim == []
        else:
            send(conn, case.request + AFTER, mode, case)
            response, interim = conn.read_final_response(head_request=is_head(case))
            may_continue = case.expect_continue or (
                case.expect_continue is None and wants_continue(case))
            if not may_continue:
                assert interim == [], "100 Continue without Expect: 100-continue"
            assert len(interim) <= 1 and all(r.status == 100 for r in interim)
        info = echo_of(response)
        check_fields(case, info)
        check_connection_header(response, info)
        if info["keep_alive"]:
            after = echo_of(conn.read_response())
            assert after["path"] == "/after"
            assert after["body_length"] is None
        else:
            conn.assert_closed()


def responses_until_eof(server, data, mode, case):
    with server.connect() as conn:
        send(conn, data, mode, case)
        conn.shutdown_write()
        return conn.read_responses_to_eof()


@by_id(WITH_REST)
@mode_param
def test_complete_case_leaves_its_rest_to_the_next_request(case_server, case, mode):
    responses = responses_until_eof(case_server, case.request, mode, case)
    assert responses, "no response at all"
    check_fields(case, echo_of(responses[0]))
    # The rest must mean to the server exactly what it means on its own.
    alone = responses_until_eof(case_server, case.rest, mode, case)
    assert [echo_of(r) for r in responses[1:]] == [echo_of(r) for r in alone]


@by_id(ERRORS)
@mode_param
def test_error_case_is_refused_and_the_next_request_never_runs(case_server, case, mode):
    with case_server.connect() as conn:
        send_tolerating_close(conn, case.request + AFTER, mode, case)
        response, interim = conn.read_final_response()
        if not wants_continue(case):
            assert interim == []
        assert response.status == case.status, response
        assert response.header("Connection") == "close", response
        if case.reason is not None:
            assert case.reason in response.body, response
        conn.assert_closed()
