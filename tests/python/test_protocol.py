"""Response framing on the wire: exact heads, HEAD, the Date header, and the loop under test."""

import email.utils
import re
import time

from rawhttp import get, post

IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT"
)


def test_server_runs_on_the_loop_the_suite_asked_for(echo_server, loop_name):
    info = echo_server.exchange(get("/")).json()
    expected = {"uvloop": "uvloop", "asyncio": "asyncio.unix_events"}[loop_name]
    assert info["loop"] == expected
    assert info["remote_addr"] == "127.0.0.1"


def test_text_response_has_exactly_the_expected_head(handlers_server):
    response = handlers_server.exchange(get("/sync/7"))
    assert response.version == "HTTP/1.1"
    assert (response.status, response.reason) == (200, "OK")
    assert [name for name, _ in response.headers] == ["Content-Length", "Content-Type", "Date"]
    assert response.header("Content-Length") == str(len(b"sync 7 None"))
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    assert response.body == b"sync 7 None"


def test_user_headers_come_after_the_engine_headers(handlers_server):
    response = handlers_server.exchange(get("/fixed"))
    assert response.headers[-1] == ("X-Fixed", "yes")


def test_head_has_the_get_headers_and_no_body_and_the_next_request_follows(handlers_server):
    get_response = handlers_server.exchange(get("/fixed"))
    assert get_response.body == b"fixed body of a known length"
    with handlers_server.connect() as conn:
        conn.send(get("/fixed", method="HEAD") + get("/sync/next"))
        head_response = conn.read_response(head_request=True)
        # Were any body bytes sent after the HEAD response, this parse would
        # start inside them and fail.
        after = conn.read_response()
    assert head_response.status == 200
    assert head_response.header("Content-Length") == str(len(get_response.body))
    assert head_response.header("Content-Type") == get_response.header("Content-Type")
    assert head_response.header("X-Fixed") == "yes"
    assert after.status == 200 and after.body == b"sync next None"


def test_head_of_an_async_handler_has_no_body(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/5?id=h", method="HEAD") + get("/async/2"))
        head_response = conn.read_response(head_request=True)
        after = conn.read_response()
    assert head_response.header("Content-Length") == str(len(b"slept 5 id=h"))
    assert after.body == b"async 2 None"


def test_head_of_a_missing_path_is_404_without_body(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/missing", method="HEAD") + get("/sync/1"))
        missing = conn.read_response(head_request=True)
        after = conn.read_response()
    assert missing.status == 404
    assert after.body == b"sync 1 None"


def check_date(value):
    assert value is not None, "no Date header"
    assert IMF_FIXDATE.fullmatch(value), f"Date {value!r} is not an IMF-fixdate"
    parsed = email.utils.parsedate_to_datetime(value)
    # The weekday must agree with the date, which the regex alone cannot see.
    assert email.utils.format_datetime(parsed, usegmt=True) == value
    # A wrong clock source (local time, a stale cache) would be hours or days
    # off; the bound is wide so that a loaded machine cannot fail it.
    assert abs(parsed.timestamp() - time.time()) < 300, value


def test_date_header_is_an_imf_fixdate_of_now(handlers_server):
    check_date(handlers_server.exchange(get("/sync/1")).header("Date"))


def test_date_header_on_404_500_and_engine_errors(handlers_server, echo_server):
    handlers_server.expect_traceback("IntentionalError")
    check_date(handlers_server.exchange(get("/nowhere")).header("Date"))
    check_date(handlers_server.exchange(get("/raise")).header("Date"))
    check_date(echo_server.exchange(b"BAD\r\n\r\n").header("Date"))


def test_date_header_on_async_and_pipelined_responses(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/10") + get("/sync/2") + post("/async/3", b"xyz"))
        for response in conn.read_responses(3):
            check_date(response.header("Date"))


def test_date_header_advances_with_the_clock(handlers_server):
    # The engine refreshes its Date once a second: poll until it changes
    # (the deadline only guards against a Date that never moves).
    first = email.utils.parsedate_to_datetime(
        handlers_server.exchange(get("/sync/1")).header("Date"))
    deadline = time.monotonic() + 10
    with handlers_server.connect() as conn:
        while time.monotonic() < deadline:
            conn.send(get("/sync/again"))
            value = conn.read_response().header("Date")
            check_date(value)
            if email.utils.parsedate_to_datetime(value) != first:
                break
            time.sleep(0.1)
    assert email.utils.parsedate_to_datetime(value) > first, "Date did not advance in 10 s"
