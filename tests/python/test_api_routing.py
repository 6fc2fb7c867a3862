"""Routing: placeholders, literal braces, methods, 404/405 through the engine in memory; bad patterns."""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get, post

from lesto import Application, Router

_api_process = memory_session_server("api_app")


@pytest.fixture
def api(_api_process):
    yield from _checked(_api_process)


def test_placeholders_fill_match_dict_percent_decoded(api):
    info = api.exchange(get("/users/a%20b%2Fc")).json()
    assert info == {"match_dict": {"id": "a b/c"}, "method": "GET", "route": "/users/{id}"}


def test_two_placeholders(api):
    info = api.exchange(get("/users/7/posts/42")).json()
    assert info["match_dict"] == {"id": "7", "post": "42"}
    assert info["route"] == "/users/{id}/posts/{post}"


def test_literal_braces(api):
    info = api.exchange(get("/braces/{literal}/5")).json()
    assert info["match_dict"] == {"id": "5"}
    assert info["route"] == "/braces/{{literal}}/{id}"


def test_placeholder_matches_one_whole_segment(api):
    for path in ("/users/", "/users/1/", "/users/1/posts", "/braces/literal/5"):
        assert api.exchange(get(path)).status == 404, path


def test_method_names_are_upper_cased(api):
    with api.connect() as conn:
        conn.send(get("/users/1/posts/2") + get("/users/1/posts/2", method="PUT")
                  + post("/only-post", b""))
        responses = [r.json() for r in conn.read_responses(3)]
    assert [r["method"] for r in responses] == ["GET", "PUT", "POST"]


def test_route_without_methods_answers_any(api):
    with api.connect() as conn:
        for method in ("GET", "POST", "DELETE", "PATCH", "OPTIONS", "PURGE"):
            conn.send(get("/any", method=method))
            assert conn.read_response().json()["method"] == method


@pytest.mark.parametrize("path, method, allow", [
    ("/users/1", "POST", "GET"),
    ("/users/1/posts/2", "DELETE", "GET, PUT"),
    ("/only-post", "GET", "POST"),
])
def test_wrong_method_is_405_with_allow(api, path, method, allow):
    with api.connect() as conn:
        conn.send(get(path, method=method) + get("/resp/text"))
        refused, after = conn.read_responses(2)
    assert refused.status == 405
    assert refused.header("Allow") == allow
    assert refused.body == b"Method Not Allowed"
    assert after.body == b"Hello world!"


def test_unknown_path_is_404(api):
    response = api.exchange(get("/no/such/route"))
    assert response.status == 404
    assert response.body == b"Not Found"


# ---- patterns checked at add_route time -----------------------------------------------


@pytest.mark.parametrize("pattern, words", [
    ("/a/{id", ["unbalanced brace", "position 3"]),
    ("/a/id}", ["unbalanced brace", "position 5"]),
    ("/a/{{id}", ["unbalanced brace"]),
    ("/{id}/{id}", ["duplicate placeholder name", "'id'"]),
    ("/{}/x/{}", ["more than one anonymous placeholder '{}'", "match_dict['']"]),
    ("/{id}x", ["placeholder '{id}'", "is followed by 'x'", "must end its segment"]),
    ("/{a}{b}", ["is followed by '{b}'"]),
    ("a/b", ["must start with '/'"]),
    ("", ["must start with '/'"]),
    # The pattern reaches the router whole: a NUL does not cut it short.
    ("/a\0{", ["unbalanced brace", "position 3", "'/a\\x00{'"]),
])
def test_bad_patterns_raise_value_error_saying_what_to_fix(pattern, words):
    router = Router()
    with pytest.raises(ValueError) as info:
        router.add_route(pattern, lambda request: None)
    for word in words:
        assert word in str(info.value)
    assert router.routes == []


@pytest.mark.parametrize("pattern, names", [
    ("/x/{{a}}/}}{{/{b}", ("b",)),
    ("/x{a}", ("a",)),
    ("/user_{id}/edit", ("id",)),
    ("/{}", ("",)),
    ("/{}/{name}", ("", "name")),
    ("/{1x}/{a-b}/{ c }", ("1x", "a-b", " c ")),
    ("/{{{a}", ("a",)),
    ("/{a\0b}", ("a\0b",)),
])
def test_accepted_patterns_and_their_placeholder_names(pattern, names):
    route = Router().add_route(pattern, lambda request: None)
    assert route.placeholder_names == names


@pytest.mark.parametrize("kwargs, exc_type, words", [
    ({"method": "GET", "methods": ["POST"]}, TypeError, ["method= or methods=, not both"]),
    ({"methods": "GET"}, TypeError, ["use method= for one"]),
    ({"methods": ["GET", 1]}, TypeError, ["must be str", "int"]),
    ({"method": "G T"}, ValueError, ["invalid method 'G T'"]),
    ({"method": ""}, ValueError, ["invalid method ''"]),
    ({"method": "GET\0"}, ValueError, ["invalid method 'GET\\x00'"]),
])
def test_bad_methods(kwargs, exc_type, words):
    with pytest.raises(exc_type) as info:
        Router().add_route("/", lambda request: None, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_route_arguments_are_checked():
    with pytest.raises(TypeError, match="must be str"):
        Router().add_route(b"/", lambda request: None)
    with pytest.raises(TypeError, match="must be callable"):
        Router().add_route("/", "not a handler")


def test_methods_are_upper_cased_and_deduplicated():
    route = Router().add_route("/", lambda request: None, methods=["get", "GET", "Post"])
    assert route.methods == ("GET", "POST")
    assert Router().add_route("/", lambda request: None).methods == ()


def test_app_router_is_a_router():
    assert isinstance(Application().router, Router)
