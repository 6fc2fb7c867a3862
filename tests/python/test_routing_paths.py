"""Routing sees the decoded path, as the app does; an encoded slash stays inside its segment.

Placeholder forms over the wire: text before a placeholder, the anonymous `{}`.
"""

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get

_routing_memory = memory_session_server("routing_app")


@pytest.fixture
def routing_server(_routing_memory):
    """apps/routing_app.py, served in memory (what it makes of a path needs no socket)."""
    yield from _checked(_routing_memory)


@pytest.mark.parametrize(
    "sent, route, path",
    [
        ("/caf%C3%A9", "/café", "/café"),
        ("/caf\u00e9".encode().decode("latin-1"), "/café", "/café"),
        ("/a%20b", "/a b", "/a b"),
        ("/x/%7By%7D", "/x/{{y}}", "/x/{y}"),
    ],
)
def test_encoded_literal_routes_match(routing_server, sent, route, path):
    response = routing_server.exchange(get(sent))
    assert response.status == 200
    info = response.json()
    assert (info["route"], info["path"]) == (route, path)


def test_an_encoded_slash_stays_in_its_placeholder(routing_server):
    info = routing_server.exchange(get("/files/a%2Fb%20c")).json()
    assert info["route"] == "/files/{name}"
    assert info["match_dict"] == {"name": "a/b c"}
    assert info["path"] == "/files/a/b c"


def test_placeholders_are_decoded_exactly_once(routing_server):
    info = routing_server.exchange(get("/files/100%252F/meta")).json()
    assert info["route"] == "/files/{name}/meta"
    assert info["match_dict"] == {"name": "100%2F"}


def test_an_unencoded_slash_still_separates_segments(routing_server):
    assert routing_server.exchange(get("/files/a/b")).status == 404


def test_absolute_form_authority_wins_over_host(routing_server):
    request = b"GET http://a.example:81/files/z HTTP/1.1\r\nHost: b.example\r\n\r\n"
    info = routing_server.exchange(request).json()
    assert (info["hostname"], info["port"], info["match_dict"]) == ("a.example", 81, {"name": "z"})


@pytest.mark.parametrize(
    "sent, route, match_dict",
    [
        ("/xyz", "/x{a}", {"a": "yz"}),
        ("/x%2Fy", "/x{a}", {"a": "/y"}),
        ("/user_42/edit", "/user_{id}/edit", {"id": "42"}),
        ("/user_%C3%A9/edit", "/user_{id}/edit", {"id": "é"}),
        # The prefix is matched against the decoded path, like literal routes.
        ("/caf%C3%A9-au-lait", "/café-{x}", {"x": "au-lait"}),
        # A placeholder captures at least one byte: "/x" is left to "/{}".
        ("/x", "/{}", {"": "x"}),
        ("/user_/edit", None, None),
        ("/user_42", "/{}", {"": "user_42"}),
        ("/anything", "/{}", {"": "anything"}),
        # A name is any text without braces or '/', a NUL too.
        ("/n/1", "/n/{a\0b}", {"a\0b": "1"}),
    ],
)
def test_text_before_a_placeholder_and_the_anonymous_one(routing_server, sent, route, match_dict):
    response = routing_server.exchange(get(sent))
    if route is None:
        assert response.status == 404
        return
    assert response.status == 200
    info = response.json()
    assert (info["route"], info["match_dict"]) == (route, match_dict)
