"""app.extend_request: properties and methods on an app's requests, and the names it refuses."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get

from lesto import Application, Request

_api_process = memory_session_server("api_app")


@pytest.fixture
def api(_api_process):
    yield from _checked(_api_process)


def test_extensions_through_the_engine(api):
    response = api.exchange(get("/extended", [("User-Agent", "curl/8")], method="PATCH",
                                host="api.example.com"))
    assert response.json() == {
        "reversed_agent": "8/lruc",
        "api": True,
        "lower_method": "patch",
        "shout": "HI /extended",
    }


def test_extension_reads_the_current_request(api):
    with api.connect() as conn:
        conn.send(get("/extended", [("User-Agent", "a")], host="api.x")
                  + get("/extended", [("User-Agent", "bc")], host="www.x"))
        first, second = [r.json() for r in conn.read_responses(2)]
    assert (first["reversed_agent"], first["api"]) == ("a", True)
    assert (second["reversed_agent"], second["api"]) == ("cb", False)


def test_property_and_method_are_installed_on_the_app_request_class():
    app = Application()

    def agent(request):
        """The agent."""
        return "x"

    def greet(request, name, *, punctuation="!"):
        return f"hi {name}{punctuation}"

    app.extend_request(agent, property=True)
    app.extend_request(greet, name="hello")
    assert isinstance(app.request_class.agent, property)
    assert app.request_class.agent.__doc__ == "The agent."
    assert app.request_class.hello is greet
    assert not hasattr(Request, "agent") and not hasattr(Request, "hello")


def test_extensions_stay_with_their_app():
    first, second = Application(), Application()
    first.extend_request(lambda request: 1, name="only_first", property=True)
    assert hasattr(first.request_class, "only_first")
    assert not hasattr(second.request_class, "only_first")
    second.extend_request(lambda request: 2, name="only_first", property=True)  # no clash


def test_a_callable_object_becomes_a_bound_method():
    app = Application()

    class Tag:
        def __call__(self, request, suffix):
            return (request, suffix)

    app.extend_request(Tag(), name="tag")
    method = app.request_class.tag
    assert method.__name__ == "tag"
    assert method("req", "s") == ("req", "s")


@pytest.mark.parametrize("name", ["method", "path", "query", "json", "form", "cookies", "app",
                                  "extra", "Response", "hostname", "__init__", "_content_type"])
def test_a_name_requests_already_have_is_refused(name):
    with pytest.raises(ValueError) as info:
        Application().extend_request(lambda request: None, name=name)
    assert f"request.{name} already exists" in str(info.value)


def test_names_of_the_class_alone_are_free():
    app = Application()
    app.extend_request(lambda request: "mine", name="mro", property=True)  # type.mro: not seen
    assert app.request_class.mro.fget(None) == "mine"


def test_an_earlier_extension_is_not_replaced():
    app = Application()

    def thing(request):
        return 1

    app.extend_request(thing)
    with pytest.raises(ValueError, match="request.thing already exists"):
        app.extend_request(thing, property=True)


@pytest.mark.parametrize("handler, kwargs, error, words", [
    ("not callable", {}, TypeError, ["takes a callable"]),
    (lambda request: None, {}, ValueError, ["'<lambda>'", "not a Python identifier", "name="]),
    (lambda request: None, {"name": "two words"}, ValueError, ["not a Python identifier"]),
    (lambda request: None, {"name": "class"}, ValueError, ["not a Python identifier"]),
    (lambda request: None, {"name": 3}, ValueError, ["not a Python identifier"]),
])
def test_extend_request_checks_its_arguments(handler, kwargs, error, words):
    with pytest.raises(error) as info:
        Application().extend_request(handler, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_a_callable_without_a_name_needs_name():
    class NoName:
        def __call__(self, request):
            return None

    with pytest.raises(TypeError, match="pass name="):
        Application().extend_request(NoName())


def test_every_app_shares_request_response_and_keeps_its_own_override():
    # request.Response needs nothing of the request's class: an app's
    # subclass inherits it; one the app set itself is left alone.
    import asyncio

    from lesto.server import make_engine

    loop = asyncio.new_event_loop()
    try:
        app = Application()
        make_engine(app, loop)
        assert "Response" not in vars(app.request_class)
        assert app.request_class.Response is Request.Response
        with pytest.raises(ValueError, match="request.Response already exists"):
            app.extend_request(lambda request: None, name="Response")

        overriding = Application()

        def response(request, **kwargs):
            return "the app's own"

        overriding.request_class.Response = response
        make_engine(overriding, loop)
        assert vars(overriding.request_class)["Response"] is response
    finally:
        loop.close()
