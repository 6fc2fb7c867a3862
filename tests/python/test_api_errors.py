"""Error handlers: registration order, None, 404/405 overrides, failing handlers, async, debug."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get, post

from lesto import Application, MethodNotAllowed, RouteNotFoundException

_errors_process = memory_session_server("api_errors_app")
_debug_process = memory_session_server("api_debug_app")


@pytest.fixture
def errors(_errors_process):
    """apps/api_errors_app.py: handlers for Child, Base, LookupError, KeyError, 404, ..., None."""
    yield from _checked(_errors_process)


@pytest.fixture
def debug(_debug_process):
    """apps/api_debug_app.py: debug=True."""
    yield from _checked(_debug_process)


@pytest.mark.parametrize("path, status, body", [
    ("/child", 418, b"child: Child: /child"),  # registered before Base: it wins
    ("/base", 400, b"base: Base: /base"),
    ("/key", 422, b"lookup: KeyError: '/key'"),  # LookupError registered before KeyError
    ("/index", 422, b"lookup: IndexError: /index"),
    ("/value", 503, b"none: ValueError: /value"),  # None catches what nothing else did
])
def test_first_matching_handler_in_registration_order(errors, path, status, body):
    response = errors.exchange(get(path))
    assert (response.status, response.body) == (status, body)


def test_async_handler_exceptions_go_to_the_same_handlers(errors):
    with errors.connect() as conn:
        conn.send(get("/async-child") + get("/async-unhandled") + get("/child"))
        responses = conn.read_responses(3)
    assert [(r.status, r.body) for r in responses] == [
        (418, b"child: Child: from an async handler"),
        (503, b"none: ZeroDivisionError: async, for the None handler"),
        (418, b"child: Child: /child"),
    ]


def test_async_error_handler(errors):
    response = errors.exchange(get("/async-handled"))
    assert (response.status, response.body) == (409, b"async error handler: /async-handled")


def test_route_not_found_handler_sees_404(errors):
    response = errors.exchange(get("/no/such/path"))
    assert (response.status, response.body) == (404, b"app 404 for /no/such/path")


def test_route_not_found_handler_sees_method_not_allowed(errors):
    response = errors.exchange(post("/get-only", b""))
    assert (response.status, response.body) == (405, b"app 405, allowed GET")
    assert response.header("Allow") == "GET"


@pytest.mark.parametrize("path, marker", [
    ("/handler-fails", "RuntimeError: the error handler itself failed"),
    ("/handler-junk", "instead of a Response"),
])
def test_failing_error_handler_is_500_and_logged(errors, path, marker):
    errors.expect_traceback(marker)
    with errors.connect() as conn:
        conn.send(get(path) + get("/child"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    assert failed.body == b"Internal Server Error"
    assert after.status == 418
    log = errors.log()
    assert f"error handler failed for GET {path}" in log
    assert marker in log


# ---- debug=True -------------------------------------------------------------------------


@pytest.mark.parametrize("path, marker", [
    ("/sync", "DebugError: sync failure shown in debug"),
    ("/async", "DebugError: async failure shown in debug"),
    ("/handler-fails", "RuntimeError: error handler failure shown in debug"),
])
def test_debug_puts_the_traceback_in_the_500_body(debug, path, marker):
    debug.expect_traceback(marker)
    with debug.connect() as conn:
        conn.send(get(path) + get("/ok"))
        failed, after = conn.read_responses(2)
    assert failed.status == 500
    text = failed.body.decode()
    assert text.startswith("Traceback (most recent call last)")
    assert marker in text
    assert after.body == b"ok"
    assert marker in debug.log()


def test_without_debug_the_500_body_is_plain(errors):
    errors.expect_traceback("RuntimeError: the error handler itself failed")
    response = errors.exchange(get("/handler-fails"))
    assert response.body == b"Internal Server Error"


# ---- registration ----------------------------------------------------------------------


def test_method_not_allowed_is_a_route_not_found_exception():
    exc = MethodNotAllowed("GET, PUT")
    assert isinstance(exc, RouteNotFoundException)
    assert exc.allowed == "GET, PUT"
    assert (RouteNotFoundException.code, MethodNotAllowed.code) == (404, 405)


@pytest.mark.parametrize("exc_type, handler, error, words", [
    ("not a class", lambda r, e: None, TypeError, ["exception class or None"]),
    (int, lambda r, e: None, TypeError, ["exception class or None"]),
    (ValueError, "not callable", TypeError, ["must be callable"]),
])
def test_add_error_handler_checks_its_arguments(exc_type, handler, error, words):
    with pytest.raises(error) as info:
        Application().add_error_handler(exc_type, handler)
    for word in words:
        assert word in str(info.value)
