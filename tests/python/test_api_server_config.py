"""_native.ServerConfig: the glue's contract, each field named and checked once, with messages."""

import asyncio
import re
import types

import pytest

from lesto import Application, _native
from lesto._coro import Scheduler
from lesto.headers import Headers
from lesto.logs import log_callback_failure, log_response_failed
from lesto.streams import pump


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def fields(loop, **changes):
    """The keyword arguments of a valid ServerConfig, with `changes`."""
    app = Application()
    app.router.add_route("/", lambda request: request.Response(text="hi"))
    given = dict(routes=app.router.engine_routes(), request_class=app.request_class,
                 headers_factory=Headers, error_response=app.error_response,
                 not_found_response=app.not_found_response, scheduler=Scheduler(loop),
                 callback_failed=log_callback_failure, run_stream=pump,
                 response_failed=log_response_failed)
    given.update(changes)
    return {name: value for name, value in given.items() if value is not ...}


def test_a_config_shows_its_fields_and_a_server_takes_it(loop):
    given = fields(loop)
    config = _native.ServerConfig(**given)
    assert config.routes == tuple(given["routes"])  # a copy: what was checked stays
    assert config.error_response == given["error_response"]
    assert (config.limits, config.timeouts, config.access_log) == ({}, {}, None)
    server = _native.Server(config)
    try:
        assert server.connection_count == 0
    finally:
        server.close()


def test_the_signature_in_the_doc_names_every_field():
    signature = _native.ServerConfig.__text_signature__
    for name in ("routes", "error_response", "not_found_response", "scheduler", "limits"):
        assert name in signature


@pytest.mark.parametrize("changes, message", [
    ({"routes": ...}, "ServerConfig() missing required keyword argument 'routes'"),
    ({"on_error": print}, "unexpected keyword argument 'on_error' (expected routes, "),
    ({"error_response": None}, "ServerConfig(error_response=...) must be callable, got None"),
    ({"request_class": object}, "must be lesto._native.Request or a subclass, got <class 'object'>"),
    ({"routes": "/"}, "ServerConfig(routes=...) must be a list, not str"),
    ({"routes": [("/", "GET", print, None)]}, "item 0 must be (pattern: str, methods: tuple"),
    ({"access_log": 1}, "ServerConfig(access_log=...) must be callable or None, got 1"),
    ({"limits": [1]}, "ServerConfig(limits=...) must be a dict, got [1]"),
    ({"scheduler": types.SimpleNamespace(loop=1)},
     "SimpleNamespace has no attribute 'call_soon' (a scheduler has loop, call_soon, take_over"),
])
def test_a_wrong_field_is_a_type_error_naming_it(loop, changes, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        _native.ServerConfig(**fields(loop, **changes))


def test_the_scheduler_is_checked_once_attribute_by_attribute(loop):
    scheduler = Scheduler(loop)
    scheduler.take_over = None
    with pytest.raises(TypeError, match=re.escape("scheduler.take_over must be callable, got None")):
        _native.ServerConfig(**fields(loop, scheduler=scheduler))
    scheduler = Scheduler(loop)
    scheduler.enter_task = None
    with pytest.raises(TypeError, match="enter_task and leave_task must both be callable or both"):
        _native.ServerConfig(**fields(loop, scheduler=scheduler))


@pytest.mark.parametrize("changes, message", [
    ({"limits": {"max_chunk_lines": 1}}, "unknown limit 'max_chunk_lines'"),
    ({"timeouts": {"linger": 0}}, "timeout 'linger' must be a positive int, got 0"),
    ({"limits": {"max_in_flight": 2**64}}, "limit 'max_in_flight' must be a positive int"),
])
def test_limits_and_timeouts_are_the_engines_names_and_positive(loop, changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _native.ServerConfig(**fields(loop, **changes))


def test_positional_arguments_and_other_objects_are_refused(loop):
    with pytest.raises(TypeError, match=r"keyword arguments only \(routes, request_class"):
        _native.ServerConfig([])
    with pytest.raises(TypeError, match=re.escape("Server() takes a lesto._native.ServerConfig, not dict")):
        _native.Server(fields(loop))
